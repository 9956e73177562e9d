package io.jswift.serve;

import io.jswift.models.generate.SamplingParams;
import io.jswift.models.testing.TinyChatModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The chat page at / in headless Chromium (Debian's chromium and chromium-driver packages; the test fails, rather
 * than skips, without them): it lists the models with the typed API key, streams an answer and shows tokens/s.
 */
class ChatPageTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium"), DRIVER = Path.of("/usr/bin/chromedriver");

    @TempDir
    Path dir;

    @Test
    void thePageStreamsTheGreedyAnswerThroughTheApi() throws Exception {
        assertTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER),
                "headless Chromium is needed: apt-get install chromium chromium-driver (" + CHROMIUM + ", " + DRIVER + ")");
        try (LiveServer live = new LiveServer(TinyChatModels.llamaWithTinyTokenizer(dir), "page-key", 2, 4, 256, 0)) {
            ChromeOptions options = new ChromeOptions();
            options.setBinary(CHROMIUM.toString());
            options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage");
            ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(DRIVER.toString()))
                    .usingAnyFreePort().build();
            WebDriver driver = new ChromeDriver(service, options);
            try {
                driver.get(live.baseUrl() + "/");
                WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(60));
                driver.findElement(By.id("apikey")).sendKeys("page-key", Keys.TAB); // the change event lists the models
                wait.until(d -> !d.findElements(By.cssSelector("#model option")).isEmpty());
                assertEquals(LiveServer.MODEL, driver.findElement(By.cssSelector("#model option")).getDomProperty("value"));
                WebElement max = driver.findElement(By.id("max_tokens"));
                max.clear();
                max.sendKeys("12");
                driver.findElement(By.id("prompt")).sendKeys("hi there", Keys.ENTER);
                wait.until(d -> d.findElement(By.id("stats")).getText().contains("tok/s"));

                int[] prompt = live.reference.chatPrompt(List.of(Map.of("role", "user", "content", "hi there")), null);
                var expected = live.reference.generate(List.of(prompt), SamplingParams.greedy(12), null).get(0);
                String text = live.reference.tokenizer().decode(expected.tokens(), true);
                List<WebElement> replies = driver.findElements(By.cssSelector(".msg.assistant"));
                assertEquals(1, replies.size());
                assertEquals(text, replies.get(0).getDomProperty("textContent"));
                String stats = driver.findElement(By.id("stats")).getText();
                assertTrue(stats.startsWith(expected.tokens().length + (expected.reason().name().equals("EOS") ? 1 : 0) + " tokens"), stats);
            } finally {
                driver.quit();
            }
        }
    }
}
