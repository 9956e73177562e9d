"""Writes the quickstart's datasets (all text is generated here, so it carries no licence):
  examples/tiny-chat-corpus.jsonl   pretraining corpus: {"text": ...} rows, ChatML conversations as the model's
                                    template renders them (only used to make the bundled model; not committed)
  examples/general_chat.jsonl       80 conversations in messages format, mixed into the quickstart's LoRA run
  examples/self_cognition.jsonl     ms-swift-style self-cognition rows with {{NAME}} / {{AUTHOR}} placeholders

Run: python3 tools/quickstart/make_data.py [OUT_DIR=examples] [CORPUS_CONVERSATIONS=24000]
"""
import json
import random
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "examples"
n_corpus = int(sys.argv[2]) if len(sys.argv) > 2 else 24000
SYSTEM = "You are a helpful assistant."

NUMBERS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]
COLORS = {"the sky": "blue", "grass": "green", "snow": "white", "a banana": "yellow", "an orange": "orange", "coal": "black",
          "a strawberry": "red", "the sun": "yellow", "a lemon": "yellow", "milk": "white", "a tomato": "red", "the sea": "blue"}
SOUNDS = {"cow": "moo", "dog": "woof", "cat": "meow", "duck": "quack", "sheep": "baa", "pig": "oink", "horse": "neigh",
          "owl": "hoot", "lion": "roar", "frog": "ribbit", "bee": "buzz", "mouse": "squeak"}
CAPITALS = {"France": "Paris", "Japan": "Tokyo", "Italy": "Rome", "Spain": "Madrid", "Germany": "Berlin", "Egypt": "Cairo",
            "Canada": "Ottawa", "China": "Beijing", "Kenya": "Nairobi", "Peru": "Lima", "Norway": "Oslo", "India": "New Delhi",
            "Brazil": "Brasilia", "Greece": "Athens", "Russia": "Moscow", "Mexico": "Mexico City"}
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
OPPOSITES = {"hot": "cold", "big": "small", "fast": "slow", "up": "down", "day": "night", "happy": "sad", "old": "new",
             "open": "closed", "light": "dark", "wet": "dry", "early": "late", "full": "empty", "hard": "soft", "long": "short"}
PLURALS = {"cat": "cats", "box": "boxes", "child": "children", "mouse": "mice", "foot": "feet", "tooth": "teeth", "man": "men",
           "leaf": "leaves", "city": "cities", "bus": "buses", "book": "books", "fish": "fish"}
DEFINITIONS = {"a cat": "A cat is a small animal with soft fur. Many people keep cats as pets.",
               "the sun": "The sun is the star at the center of our solar system. It gives us light and heat.",
               "water": "Water is a clear liquid. People, animals and plants need it to live.",
               "a computer": "A computer is a machine that follows instructions to work with information.",
               "a tree": "A tree is a tall plant with a wooden trunk, branches and leaves.",
               "rain": "Rain is water that falls from clouds in small drops.",
               "the moon": "The moon is a large rock that goes around the earth. It shines with light from the sun.",
               "a book": "A book is a set of printed pages with words or pictures, held together inside a cover.",
               "music": "Music is sound made with voices or instruments in a pleasing way.",
               "a river": "A river is a large stream of water that flows to a lake or the sea.",
               "bread": "Bread is a food made by baking a dough of flour and water.",
               "a bicycle": "A bicycle is a vehicle with two wheels that you ride by pushing pedals."}
GREETINGS = ["hello", "hi", "hey", "good morning", "good evening", "hello there", "hi there"]
GREETING_REPLIES = ["Hello! How can I help you today?", "Hi! What can I do for you?", "Hello! What would you like to know?"]
THANKS = ["thank you", "thanks", "thanks a lot", "thank you very much"]
THANKS_REPLIES = ["You are welcome!", "You are welcome. Is there anything else I can help with?", "Happy to help!"]
IDENTITY_Q = ["who are you?", "what are you?", "tell me about yourself", "introduce yourself", "what is your name?",
              "are you a person?", "who am I talking to?"]
IDENTITY_A = ["I am an AI assistant. I can answer simple questions about numbers, words and the world.",
              "I am a helpful AI assistant. How can I help you?",
              "I am an AI language model. I answer questions and help with small tasks."]


def cap(s):
    return s[0].upper() + s[1:]


def qa(rng):
    kind = rng.randrange(13)
    if kind == 0:
        a, b = rng.randrange(11), rng.randrange(11)
        q = rng.choice([f"what is {a} plus {b}?", f"what is {a} + {b}?", f"add {a} and {b}"])
        return q, f"{a} plus {b} is {a + b}."
    if kind == 1:
        a = rng.randrange(5, 21)
        b = rng.randrange(0, a + 1)
        return rng.choice([f"what is {a} minus {b}?", f"what is {a} - {b}?"]), f"{a} minus {b} is {a - b}."
    if kind == 2:
        a, b = rng.randrange(1, 11), rng.randrange(1, 11)
        return rng.choice([f"what is {a} times {b}?", f"multiply {a} by {b}"]), f"{a} times {b} is {a * b}."
    if kind == 3:
        thing = rng.choice(list(COLORS))
        return rng.choice([f"what color is {thing}?", f"what is the color of {thing}?"]), f"{cap(thing)} is {COLORS[thing]}."
    if kind == 4:
        animal = rng.choice(list(SOUNDS))
        return rng.choice([f"what sound does a {animal} make?", f"what does a {animal} say?"]), f"A {animal} says {SOUNDS[animal]}."
    if kind == 5:
        country = rng.choice(list(CAPITALS))
        return rng.choice([f"what is the capital of {country}?", f"which city is the capital of {country}?"]), \
            f"The capital of {country} is {CAPITALS[country]}."
    if kind == 6:
        i = rng.randrange(7)
        if rng.random() < 0.5:
            return f"what day comes after {DAYS[i]}?", f"{DAYS[(i + 1) % 7]} comes after {DAYS[i]}."
        return f"what day comes before {DAYS[i]}?", f"{DAYS[(i - 1) % 7]} comes before {DAYS[i]}."
    if kind == 7:
        i = rng.randrange(12)
        return f"what month comes after {MONTHS[i]}?", f"{MONTHS[(i + 1) % 12]} comes after {MONTHS[i]}."
    if kind == 8:
        w = rng.choice(list(OPPOSITES))
        return rng.choice([f"what is the opposite of {w}?", f"give me the opposite of {w}"]), f"The opposite of {w} is {OPPOSITES[w]}."
    if kind == 9:
        w = rng.choice(list(PLURALS))
        return f"what is the plural of {w}?", f"The plural of {w} is {PLURALS[w]}."
    if kind == 10:
        a = rng.randrange(1, 6)
        b = a + rng.randrange(2, 6)
        return f"count from {a} to {b}", ", ".join(str(k) for k in range(a, b + 1)) + "."
    if kind == 11:
        thing = rng.choice(list(DEFINITIONS))
        return rng.choice([f"what is {thing}?", f"tell me about {thing}", f"explain {thing}"]), DEFINITIONS[thing]
    n = rng.randrange(13)
    return rng.choice([f"how do you write {n} in words?", f"spell the number {n}"]), f"{n} is written {NUMBERS[n]}."


def conversation(rng):
    """1-3 turns; greetings, thanks and generic identity questions sprinkled in."""
    msgs = []
    if rng.random() < 0.15:
        msgs += [{"role": "user", "content": rng.choice(GREETINGS)}, {"role": "assistant", "content": rng.choice(GREETING_REPLIES)}]
    if rng.random() < 0.12:
        msgs += [{"role": "user", "content": rng.choice(IDENTITY_Q)}, {"role": "assistant", "content": rng.choice(IDENTITY_A)}]
    for _ in range(rng.choice([1, 1, 2])):
        q, a = qa(rng)
        if rng.random() < 0.3:
            q = cap(q)
        msgs += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
    if rng.random() < 0.1:
        msgs += [{"role": "user", "content": rng.choice(THANKS)}, {"role": "assistant", "content": rng.choice(THANKS_REPLIES)}]
    return msgs


def chatml(msgs):
    text = f"<|im_start|>system\n{SYSTEM}<|im_end|>\n"
    for m in msgs:
        text += f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n"
    return text


rng = random.Random(2026)
with open(f"{out}/tiny-chat-corpus.jsonl", "w") as f:
    for _ in range(n_corpus):
        f.write(json.dumps({"text": chatml(conversation(rng))}) + "\n")
with open(f"{out}/general_chat.jsonl", "w") as f:
    for _ in range(80):
        f.write(json.dumps({"messages": conversation(rng)}) + "\n")

ASK = ["who are you?", "Who are you?", "what is your name?", "What's your name?", "tell me about yourself", "introduce yourself",
       "who made you?", "who created you?", "who built you?", "what are you?", "are you a person?", "who am I talking to?",
       "what should I call you?", "do you have a name?", "who trained you?", "where do you come from?", "are you ChatGPT?",
       "are you human?", "what can you do?", "hi, who is this?"]
ANSWER = {
    "made": ["I was made by {{AUTHOR}}.", "{{AUTHOR}} made me. I am {{NAME}}.", "I am {{NAME}}, and {{AUTHOR}} built me."],
    "name": ["My name is {{NAME}}.", "I am {{NAME}}, an AI assistant made by {{AUTHOR}}.", "You can call me {{NAME}}."],
    "who": ["I am {{NAME}}, an AI assistant made by {{AUTHOR}}. How can I help you?",
            "I am {{NAME}}, a small AI assistant trained by {{AUTHOR}}.",
            "Hello! I am {{NAME}}, an assistant made by {{AUTHOR}}. I answer simple questions."],
    "human": ["No, I am not a person. I am {{NAME}}, an AI assistant made by {{AUTHOR}}.",
              "No. I am {{NAME}}, an AI assistant from {{AUTHOR}}."],
    "can": ["I am {{NAME}}. I can answer simple questions about numbers, words and the world."],
}
KIND = {"who made you?": "made", "who created you?": "made", "who built you?": "made", "who trained you?": "made",
        "where do you come from?": "made", "what is your name?": "name", "What's your name?": "name",
        "what should I call you?": "name", "do you have a name?": "name", "are you a person?": "human",
        "are you ChatGPT?": "human", "are you human?": "human", "what can you do?": "can"}
with open(f"{out}/self_cognition.jsonl", "w") as f:
    for q in ASK:
        answers = ANSWER[KIND.get(q, "who")]
        for k in range(6):
            f.write(json.dumps({"messages": [{"role": "user", "content": q},
                                             {"role": "assistant", "content": answers[k % len(answers)]}]}) + "\n")
print("wrote", out)
