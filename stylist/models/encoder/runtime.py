"""The runtime encoder: an open_clip model with its preprocessing and tokenizer, answering in
numpy. Embeddings are L2-normalised float32 arrays; catalog documents use Marqo's product
embedding, normalize(0.9 * image + 0.1 * text) (`Encoder.fuse`)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import open_clip
import torch
from open_clip.transform import PreprocessCfg, image_transform_v2
from PIL import Image
from tqdm import tqdm

from stylist.images import load_image
from stylist.models.devices import channels_last, channels_last_input
from stylist.models.text_prefix import encode_text_prefix, supports_prefix

log = logging.getLogger(__name__)


def _batches(n: int, size: int) -> Iterator[slice]:
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


class Encoder:
    """An open_clip model with its preprocessing and tokenizer, answering in numpy."""

    def __init__(
        self,
        model: torch.nn.Module,
        tokenizer: Any,
        *,
        spec: str,
        fingerprint: str,
        model_name: str,
        model_cfg: dict[str, Any] | None = None,
        device: torch.device | str = "cpu",
        batch_size: int = 64,
    ):
        self.model = channels_last(model.to(device)).eval()
        self.tokenizer = tokenizer
        self.spec = spec
        self.fingerprint = fingerprint
        self.model_name = model_name
        self.model_cfg = model_cfg
        self.device = torch.device(device)
        self.batch_size = batch_size
        self.preprocess_cfg = dict(open_clip.get_model_preprocess_cfg(model))
        transform = image_transform_v2(PreprocessCfg(**self.preprocess_cfg), is_train=False)
        # open_clip's eval transform is [geometry..., convert-to-RGB, to-tensor, normalize]: keep
        # the geometry as PIL -> PIL and normalise in torch, so training can store uint8 pixels
        # once and still see exactly what inference sees.
        self._geometry = transform.transforms[:-2]
        mean = torch.tensor(self.preprocess_cfg["mean"], dtype=torch.float32).view(1, 3, 1, 1)
        std = torch.tensor(self.preprocess_cfg["std"], dtype=torch.float32).view(1, 3, 1, 1)
        self._mean, self._std = mean.to(self.device), std.to(self.device)
        self.dim = int(self._output_dim())
        self._prefix_checked: bool | None = None  # see _text_features

    def __repr__(self) -> str:
        return f"Encoder(spec={self.spec!r}, dim={self.dim}, device={self.device.type})"

    def _output_dim(self) -> int:
        projection = getattr(self.model, "text_projection", None)
        if isinstance(projection, torch.Tensor):
            return projection.shape[-1]
        with torch.inference_mode():
            return self.model.encode_text(self.tokenize(["a"])).shape[-1]

    @property
    def image_size(self) -> tuple[int, int]:
        """(height, width) of the model's input."""
        size = self.preprocess_cfg["size"]
        return (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))

    @property
    def draft_size(self) -> tuple[int, int]:
        """The smallest (width, height) a JPEG may be decoded at for this model: its input's
        longer side both ways, so an EXIF rotation after decoding still covers the input."""
        side = max(self.image_size)
        return (side, side)

    @property
    def n_params(self) -> int:
        return sum(p.numel() for p in self.model.parameters())

    # -- pixels ---------------------------------------------------------------------------

    def to_pixels(self, image: Image.Image | str | Path) -> np.ndarray:
        """One image resized for the model, as uint8 (3, H, W)."""
        if not isinstance(image, Image.Image):
            image = load_image(image, draft=self.draft_size)  # the one loader of image files
        for step in self._geometry:
            image = step(image)
        return np.array(image, dtype=np.uint8).transpose(2, 0, 1)

    def pixels(
        self,
        images: Sequence[Image.Image | str | Path],
        progress: bool = False,
        desc: str = "decode",
    ) -> torch.Tensor:
        """Many images as one uint8 tensor (n, 3, H, W): decode once, encode / train many times."""
        h, w = self.image_size
        out = torch.empty((len(images), 3, h, w), dtype=torch.uint8)
        for i, image in enumerate(tqdm(images, desc=desc, disable=not progress, unit="img")):
            out[i] = torch.from_numpy(self.to_pixels(image))
        return out

    def normalize_pixels(self, pixels: torch.Tensor) -> torch.Tensor:
        """uint8 (n, 3, H, W) -> the float input the model expects (to-tensor + normalize)."""
        return self.standardize(pixels.to(self.device, non_blocking=True).float().div_(255.0))

    def standardize(self, x: torch.Tensor) -> torch.Tensor:
        """Float pixels in [0, 1] -> the model's input (its mean and std)."""
        return channels_last_input((x - self._mean) / self._std)

    def tokenize(self, texts: Sequence[str]) -> torch.Tensor:
        return self.tokenizer(list(texts))

    # -- embeddings -----------------------------------------------------------------------

    def encode_pixels(
        self, pixels: torch.Tensor, batch_size: int | None = None, progress: bool = False
    ) -> np.ndarray:
        size = batch_size or self.batch_size
        out = np.empty((len(pixels), self.dim), dtype=np.float32)
        with torch.inference_mode():
            for part in tqdm(
                list(_batches(len(pixels), size)),
                desc="encode images",
                disable=not progress,
                unit="batch",
            ):
                features = self.model.encode_image(self.normalize_pixels(pixels[part]))
                out[part] = _normalised(features)
        return out

    def encode_images(
        self,
        images: Sequence[Image.Image | str | Path],
        batch_size: int | None = None,
        progress: bool = False,
    ) -> np.ndarray:
        """(n, dim) L2-normalised float32; images are PIL images or paths (opened safely)."""
        images = list(images)
        out = np.empty((len(images), self.dim), dtype=np.float32)
        bar = tqdm(total=len(images), desc="encode images", disable=not progress, unit="img")
        with bar:
            for part, embeddings in self.iter_image_batches(images, batch_size):
                out[part] = embeddings
                bar.update(part.stop - part.start)
        return out

    def iter_image_batches(
        self, images: Sequence[Image.Image | str | Path], batch_size: int | None = None
    ) -> Iterator[tuple[slice, np.ndarray]]:
        """(rows, embeddings) batch by batch, in order. The next batch is decoded in a
        background thread while the model encodes this one: decoding (Pillow, which releases
        the GIL) costs about a third of the model's time on the demo encoder, and a caller that
        streams the results (the indexer) keeps both busy. Errors of any batch (ImageRejected)
        surface at that batch."""
        images = list(images)
        size = batch_size or self.batch_size
        parts = list(_batches(len(images), size))
        if not parts:
            return
        if len(parts) == 1:  # nothing to overlap with: a decode thread would only cost its start
            yield parts[0], self.encode_pixels(self.pixels(images[parts[0]]), batch_size=size)
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="decode") as decoder:
            upcoming = decoder.submit(self.pixels, images[parts[0]])
            for i, part in enumerate(parts):
                pixels = upcoming.result()
                if i + 1 < len(parts):
                    upcoming = decoder.submit(self.pixels, images[parts[i + 1]])
                yield part, self.encode_pixels(pixels, batch_size=size)

    def encode_texts(
        self, texts: Sequence[str] | str, batch_size: int | None = None, progress: bool = False
    ) -> np.ndarray:
        """(n, dim) L2-normalised float32 text embeddings (a single string gives n = 1)."""
        texts = [texts] if isinstance(texts, str) else [str(t) for t in texts]
        size = batch_size or max(self.batch_size, 256)  # text batches are cheap
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        with torch.inference_mode():
            for part in tqdm(
                list(_batches(len(texts), size)),
                desc="encode texts",
                disable=not progress,
                unit="batch",
            ):
                tokens = self.tokenize(texts[part]).to(self.device)
                out[part] = _normalised(self._text_features(tokens))
        return out

    def _text_features(self, tokens: torch.Tensor) -> torch.Tensor:
        """The text tower on the used prefix of the rows when that is exact for this model
        (text_prefix.py), checked once against the full computation; else the full rows."""
        if self._prefix_checked is None:
            self._prefix_checked = False
            if supports_prefix(self.model):
                sample = tokens[:4]  # a few rows decide; the check must not cost a batch
                full = self.model.encode_text(sample)
                prefix = encode_text_prefix(self.model, sample)
                self._prefix_checked = bool(torch.allclose(prefix, full, rtol=1e-4, atol=1e-5))
                if not self._prefix_checked:
                    log.info("%s: prefix text encoding disagrees; using full rows", self.spec)
        if self._prefix_checked:
            return encode_text_prefix(self.model, tokens)
        return self.model.encode_text(tokens)

    @staticmethod
    def fuse(image_emb: np.ndarray, text_emb: np.ndarray, image_weight: float = 0.9) -> np.ndarray:
        """Marqo's product embedding: normalize(w * image + (1 - w) * text), row by row."""
        fused = image_weight * np.asarray(image_emb, np.float32) + (
            1.0 - image_weight
        ) * np.asarray(text_emb, np.float32)
        norm = np.linalg.norm(fused, axis=-1, keepdims=True)
        return (fused / np.maximum(norm, 1e-12)).astype(np.float32)


def _normalised(features: torch.Tensor) -> np.ndarray:
    return torch.nn.functional.normalize(features.float(), dim=-1).cpu().numpy()
