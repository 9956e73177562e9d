package io.jswift.models.tokenizer;

/** An entry of tokenizer.json's added_tokens: matched in raw text before normalization and BPE. */
record AddedToken(int id, String content, boolean special, boolean singleWord, boolean lstrip, boolean rstrip, boolean normalized) {}
