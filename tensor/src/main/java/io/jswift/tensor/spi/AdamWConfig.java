package io.jswift.tensor.spi;

/** Hyper-parameters of one AdamW step (PyTorch's torch.optim.AdamW semantics, decoupled weight decay). */
public record AdamWConfig(double lr, double beta1, double beta2, double eps, double weightDecay) {}
