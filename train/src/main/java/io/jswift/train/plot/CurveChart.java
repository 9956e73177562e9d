package io.jswift.train.plot;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.io.IOException;
import java.util.Set;

/**
 * One curve as ms-swift's {@code plot_images} draws it with matplotlib: an 8 × 5 inch figure at 100 dpi titled
 * with the tag; a single point as a dot; {@code train/loss} as the raw curve in a light color under its TensorBoard
 * smoothing (weight 0.9) in the strong color, with a legend; every other curve as one line in the strong color.
 */
final class CurveChart {
    static {
        // Before any AWT class sets up graphics: training runs on servers, and AWT must not try to reach a display
        // (it would use a DISPLAY inherited from `ssh -X`). A JVM started with -Djava.awt.headless keeps its choice.
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    /** ms-swift's TB_COLOR (raw values under a smoothed curve) and TB_COLOR_SMOOTH. */
    static final Color RAW = new Color(0xFF, 0xE2, 0xD9), STRONG = new Color(0xFF, 0x70, 0x43);
    /** ms-swift smooths only the training loss ({@code plot_images(images_dir, logging_dir, ['train/loss'], 0.9)}). */
    static final Set<String> SMOOTHED = Set.of("train/loss");
    static final int WIDTH = 800, HEIGHT = 500;

    private CurveChart() {}

    /** The chart of {@code c} (at least one point); its series are named "original" and "smoothed" as ms-swift's legend. */
    static XYChart of(Curve c) {
        if (c.values().length == 0) throw new IllegalArgumentException(c.tag() + ": no points to plot");
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(c.tag()).build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE).setPlotBackgroundColor(Color.WHITE).setChartTitleBoxVisible(false)
                .setLegendVisible(false).setAntiAlias(true);
        chart.getStyler().setPlotGridLinesColor(new Color(0xE0, 0xE0, 0xE0)).setXAxisDecimalPattern("#,##0.##");
        if (c.values().length == 1) {
            XYSeries s = chart.addSeries("original", c.steps(), c.values());
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            s.setMarker(SeriesMarkers.CIRCLE).setMarkerColor(STRONG);
        } else if (SMOOTHED.contains(c.tag())) {
            line(chart.addSeries("original", c.steps(), c.values()), RAW);
            line(chart.addSeries("smoothed", c.steps(), Smoothing.tensorboard(c.values(), Smoothing.WEIGHT)), STRONG);
            chart.getStyler().setLegendVisible(true);
        } else {
            line(chart.addSeries("original", c.steps(), c.values()), STRONG);
        }
        return chart;
    }

    static byte[] png(Curve c) throws IOException {
        return BitmapEncoder.getBitmapBytes(of(c), BitmapEncoder.BitmapFormat.PNG);
    }

    private static void line(XYSeries s, Color color) {
        s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        s.setMarker(SeriesMarkers.NONE);
        s.setLineColor(color);
    }
}
