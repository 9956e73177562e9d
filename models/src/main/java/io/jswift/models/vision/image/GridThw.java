package io.jswift.models.vision.image;

/** One image's patch grid: temporal (1 for an image), height and width in patches (HF's image_grid_thw row). */
public record GridThw(int t, int h, int w) {
    public int patches() { return t * h * w; }
}
