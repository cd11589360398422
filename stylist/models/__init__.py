"""Vision models: CLIP encoder, attribute classifiers, few-shot head, caption generator."""
