package io.jswift.models.config;

/**
 * RMSNorm of queries and keys before RoPE ({@code q_norm} / {@code k_norm}): none (Llama), per head over D (Qwen3, Gemma 3),
 * or over the whole projection Hq·D / Hkv·D (OLMo 2); or per head after RoPE ({@code query_layernorm} /
 * {@code key_layernorm}: HunYuan).
 */
public enum QkNorm { NONE, PER_HEAD, WHOLE, PER_HEAD_AFTER_ROPE }
