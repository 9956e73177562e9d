package io.jswift.models.qwen2vl;

import io.jswift.models.vision.image.GridThw;

import java.util.ArrayList;
import java.util.List;

/**
 * Qwen2.5-VL's window attention layout (transformers' get_vision_window_index): each frame's grid of merged tokens
 * (h/m × w/m) is cut into windows of {@code win} × {@code win} merged tokens from the top-left (the last row and column
 * of windows may be smaller); the tower reorders its merge groups window by window, attends inside each window, and
 * the merger's output is put back in grid order at the end.
 *
 * @param order   merge group at each reordered position (window_index): [groups]
 * @param windows window id of each reordered merge group: [groups]
 */
record VisionWindows(int[] order, int[] windows) {
    static VisionWindows of(List<GridThw> grids, int mergeSize, int win) {
        List<Integer> order = new ArrayList<>(), windows = new ArrayList<>();
        int base = 0, window = 0;
        for (GridThw g : grids) {
            int gh = g.h() / mergeSize, gw = g.w() / mergeSize;
            for (int f = 0; f < g.t(); f++) {
                for (int wy = 0; wy < gh; wy += win)
                    for (int wx = 0; wx < gw; wx += win) {
                        for (int y = wy; y < Math.min(wy + win, gh); y++)
                            for (int x = wx; x < Math.min(wx + win, gw); x++) {
                                order.add(base + (f * gh + y) * gw + x);
                                windows.add(window);
                            }
                        window++;
                    }
            }
            base += g.t() * gh * gw;
        }
        return new VisionWindows(order.stream().mapToInt(Integer::intValue).toArray(), windows.stream().mapToInt(Integer::intValue).toArray());
    }

    /** The inverse permutation (reverse_indices = argsort(window_index)). */
    int[] inverse() {
        int[] inv = new int[order.length];
        for (int i = 0; i < order.length; i++) inv[order[i]] = i;
        return inv;
    }
}
