"""The CLIP image + text encoder: one interface over open_clip, whatever the weights' source.

An encoder is named by one spec string (settings.encoder, STYLIST_ENCODER):

- ``demo``: the small encoder trained here (`stylist train encoder`), a directory
  ``settings.models_dir / "encoder"`` holding ``open_clip_config.json`` + the weights;
- ``ARCH:TAG``: an open_clip architecture and pretrained tag (``ViT-B-32:laion2b_s34b_b79k``),
  or ``ARCH:/path/to/weights.pt`` (an open_clip checkpoint for that architecture);
- ``hf-hub:org/name``: an open_clip model on the Hugging Face hub (``hf-hub:Marqo/marqo-fashionSigLIP``);
- ``/path/to/checkpoint.pt``: a checkpoint written by Stylist, which carries its own config;
- ``/path/to/config.json:/path/to/checkpoint.pt``: an open_clip model config plus weights;
- a directory (or ``local-dir:DIR``) in open_clip's local-dir layout, like the demo encoder's.

Every form is built by open_clip's own factory (`open_clip.create_model`), so the weights are read
with `weights_only=True` and converted the way open_clip does it. Nothing here downloads on its
own initiative: pretrained tags and hub ids are fetched by open_clip / huggingface_hub, and when
that is impossible (offline, no cache) the failure becomes one `EncoderUnavailable` sentence.

Embeddings are L2-normalised float32 numpy arrays. Catalog documents use Marqo's product
embedding, normalize(0.9 * image + 0.1 * text) (`Encoder.fuse`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import shutil
import tempfile
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import open_clip
import torch
from open_clip.transform import PreprocessCfg, image_transform_v2
from PIL import Image
from tqdm import tqdm

from stylist.models import towers  # noqa: F401 - registers the demo towers with timm
from stylist.models.errors import EncoderUnavailable
from stylist.models.text_prefix import encode_text_prefix, supports_prefix
from stylist.settings import StyleSettings, get_settings

__all__ = [
    "CHECKPOINT_NAME",
    "CONFIG_NAME",
    "Encoder",
    "EncoderSpec",
    "EncoderUnavailable",
    "STYLIST_PREPROCESS",
    "build_encoder",
    "demo_encoder_dir",
    "get_encoder",
    "load_encoder",
    "parse_spec",
    "save_encoder",
    "select_device",
]

MODEL_CONFIGS_DIR = Path(__file__).with_name("model_configs")
# open_clip's local-dir layout: `create_model("local-dir:DIR")` finds exactly these two files.
CONFIG_NAME = "open_clip_config.json"
CHECKPOINT_NAME = "open_clip_pytorch_model.pth"
CHECKPOINT_FORMAT = "stylist-encoder/1"

# Our catalog pictures are portraits (shoes and hems at the bottom): squash the whole picture to
# the model's input size instead of open_clip's default centre crop, which would cut them off.
STYLIST_PREPROCESS: dict[str, Any] = {"resize_mode": "squash", "interpolation": "bilinear"}

WEIGHTS_HELP = (
    "Download them once on a machine with network access (they are kept in the Hugging Face "
    "cache, ~/.cache/huggingface, or HF_HOME) and copy that cache here, or point STYLIST_ENCODER "
    "at a local weights file (ARCH:/path/to/weights.bin or /path/to/checkpoint.pt)"
)
TRAIN_HELP = "Run `stylist train encoder` (or `make demo`) to train it"

log = logging.getLogger(__name__)

SpecKind = Literal["directory", "pretrained", "hf-hub", "checkpoint", "config+checkpoint"]


# --- specs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class EncoderSpec:
    """A parsed encoder spec: where the architecture and the weights come from."""

    text: str  # the spec as written (what messages and fingerprints show)
    kind: SpecKind
    arch: str | None = None  # open_clip architecture name (pretrained form)
    tag: str | None = None  # pretrained tag, or a weights file for that architecture
    hub_id: str | None = None
    path: Path | None = None  # directory, or checkpoint file
    config_path: Path | None = None

    @property
    def is_demo(self) -> bool:
        return self.text == "demo"

    @property
    def weights_file(self) -> Path | None:
        """The local file holding the weights, when there is one (hashed for the fingerprint)."""
        if self.kind == "directory" and self.path is not None:
            return self.path / CHECKPOINT_NAME
        if self.kind in ("checkpoint", "config+checkpoint"):
            return self.path
        if self.kind == "pretrained" and self.tag and _looks_like_path(self.tag):
            return Path(self.tag)
        return None


def demo_encoder_dir(settings: StyleSettings | None = None) -> Path:
    return (settings or get_settings()).models_dir / "encoder"


def _looks_like_path(text: str) -> bool:
    return (
        os.sep in text
        or "/" in text
        or text.startswith(".")
        or text.endswith((".pt", ".pth", ".bin", ".safetensors", ".ckpt", ".npz"))
    )


def parse_spec(spec: str, settings: StyleSettings | None = None) -> EncoderSpec:
    """Parse an encoder spec string; a malformed one raises EncoderUnavailable with a sentence."""
    text = (spec or "").strip()
    if not text:
        raise EncoderUnavailable(
            "No encoder is configured: set STYLIST_ENCODER to `demo`, an open_clip ARCH:TAG, "
            "an hf-hub:org/name id, or a checkpoint file."
        )
    if text == "demo":
        return EncoderSpec(text, "directory", path=demo_encoder_dir(settings))
    if text.startswith("hf-hub:"):
        hub_id = text.removeprefix("hf-hub:").strip()
        if hub_id.count("/") != 1 or not all(hub_id.split("/")):
            raise EncoderUnavailable(
                f"The encoder spec '{text}' does not name a hub model; write it as "
                "hf-hub:org/name, e.g. hf-hub:Marqo/marqo-fashionSigLIP."
            )
        return EncoderSpec(text, "hf-hub", hub_id=hub_id)
    if text.startswith("local-dir:"):
        return EncoderSpec(text, "directory", path=Path(text.removeprefix("local-dir:")))
    config, sep, checkpoint = text.partition(".json:")
    if sep:
        return EncoderSpec(
            text, "config+checkpoint", config_path=Path(config + ".json"), path=Path(checkpoint)
        )
    as_path = Path(text)
    if as_path.is_dir():
        return EncoderSpec(text, "directory", path=as_path)
    if as_path.is_file() or (":" not in text and _looks_like_path(text)):
        return EncoderSpec(text, "checkpoint", path=as_path)
    arch, sep, tag = text.partition(":")
    if sep and arch and tag:
        return EncoderSpec(text, "pretrained", arch=arch, tag=tag)
    known = ", ".join(open_clip.list_pretrained_tags_by_model(text)[:4])
    example = f"{text}:{known.split(', ')[0]}" if known else "ViT-B-32:laion2b_s34b_b79k"
    raise EncoderUnavailable(
        f"The encoder spec '{text}' names no weights. Use `demo`, an open_clip ARCH:TAG such as "
        f"{example}, an hf-hub:org/name id, or a checkpoint file."
    )


# --- fingerprints --------------------------------------------------------------------------

_SHA_CACHE: dict[tuple[str, int, int], str] = {}


def _file_sha256(path: Path) -> str:
    """sha256 of a file, remembered per (path, size, mtime) so big checkpoints hash once."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _SHA_CACHE:
        digest = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        _SHA_CACHE[key] = digest.hexdigest()
    return _SHA_CACHE[key]


def _fingerprint(parsed: EncoderSpec) -> str:
    """Spec + weights hash for local weights, the spec itself for pretrained tags / hub ids.

    File specs show only the file name, so moving a data dir does not orphan the heads and the
    index built on the same weights; the hash is what identifies them.
    """
    weights = parsed.weights_file
    if weights is None:
        return parsed.text
    if parsed.is_demo:
        label = "demo"
    elif parsed.kind == "directory":
        label = weights.parent.name
    elif parsed.kind == "pretrained":
        label = f"{parsed.arch}:{weights.name}"
    else:
        label = weights.name
    return f"{label}@sha256:{_file_sha256(weights)[:16]}"


# --- devices -------------------------------------------------------------------------------


def select_device(preference: str = "auto") -> torch.device:
    """cuda, then Apple's mps, then the CPU, unless settings.device names one."""
    if preference != "auto":
        if preference == "cuda" and not torch.cuda.is_available():
            raise EncoderUnavailable("STYLIST_DEVICE is cuda, but no CUDA GPU is available here.")
        if preference == "mps" and not torch.backends.mps.is_available():
            raise EncoderUnavailable(
                "STYLIST_DEVICE is mps, but Apple's MPS is not available here."
            )
        return torch.device(preference)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


# --- the encoder ---------------------------------------------------------------------------


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
        self.model = model.to(device).eval()
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
    def n_params(self) -> int:
        return sum(p.numel() for p in self.model.parameters())

    # -- pixels ---------------------------------------------------------------------------

    def to_pixels(self, image: Image.Image | str | Path) -> np.ndarray:
        """One image resized for the model, as uint8 (3, H, W)."""
        if not isinstance(image, Image.Image):
            from stylist.images import load_image  # the one loader of image files

            image = load_image(image)
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
        return (x - self._mean) / self._std

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


# --- building and saving -------------------------------------------------------------------

_CONFIG_LOCK = threading.RLock()
_REGISTERED_DIR: Path | None = None


def register_model_configs() -> None:
    """Make the configs kept as data in stylist/models/model_configs known to open_clip."""
    with _CONFIG_LOCK:
        if "stylist-demo" not in open_clip.list_models():
            open_clip.add_model_config(MODEL_CONFIGS_DIR)


def _register_config(model_cfg: dict[str, Any]) -> str:
    """Register a model config held in a file or checkpoint; its name is its content hash.

    open_clip's factory builds models from registered configs; naming them by content means two
    different configs never collide and the same config registers once per process.
    """
    global _REGISTERED_DIR
    blob = json.dumps(model_cfg, sort_keys=True)
    name = "stylist-cfg-" + hashlib.sha256(blob.encode()).hexdigest()[:12]
    with _CONFIG_LOCK:
        if name not in open_clip.list_models():
            if _REGISTERED_DIR is None:
                _REGISTERED_DIR = Path(tempfile.mkdtemp(prefix="stylist-open-clip-configs-"))
            path = _REGISTERED_DIR / f"{name}.json"
            path.write_text(blob)
            open_clip.add_model_config(path)
    return name


@contextmanager
def _quiet_open_clip() -> Iterator[None]:
    """open_clip logs expected events (random init, found weights) as warnings and a failed
    download as an error on the root logger; the caller turns failures into one sentence, so
    keep those lines out of the user's terminal while the factory runs."""
    previous = logging.root.manager.disable
    logging.disable(logging.ERROR)
    try:
        yield
    finally:
        logging.disable(previous)


def build_encoder(
    model_name: str = "stylist-demo",
    *,
    seed: int = 0,
    spec: str | None = None,
    device: torch.device | str = "cpu",
    batch_size: int = 64,
) -> Encoder:
    """A randomly initialised encoder of a registered architecture (training starts here; tests
    use `stylist-tiny`). Built by open_clip's factory with no weights to download."""
    register_model_configs()
    torch.manual_seed(seed)
    model_cfg = open_clip.get_model_config(model_name)
    if model_cfg is None:
        raise EncoderUnavailable(f"'{model_name}' is not an open_clip architecture I know.")
    preprocess = STYLIST_PREPROCESS if model_name.startswith("stylist-") else None
    with _quiet_open_clip():
        model = open_clip.create_model(model_name, pretrained=None, force_preprocess_cfg=preprocess)
    return Encoder(
        model,
        open_clip.get_tokenizer(model_name),
        spec=spec or f"{model_name} (untrained)",
        fingerprint=f"{model_name}:random-seed-{seed}",
        model_name=model_name,
        model_cfg=model_cfg,
        device=device,
        batch_size=batch_size,
    )


def save_encoder(
    encoder: Encoder, directory: Path, *, metadata: dict[str, Any] | None = None
) -> Path:
    """Write an encoder as a directory in open_clip's local-dir layout, atomically.

    The weights file also carries the config, so the bare file works as a spec too. The
    directory is assembled beside its destination and renamed into place: a reader (or
    `build_demo` deciding whether the encoder exists) never sees half of it.
    """
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    model_cfg = encoder.model_cfg or open_clip.get_model_config(encoder.model_name)
    if model_cfg is None:
        raise EncoderUnavailable(f"Cannot save {encoder.spec}: its model config is unknown.")
    preprocess = {
        k: (list(v) if isinstance(v, tuple) else v) for k, v in encoder.preprocess_cfg.items()
    }
    state = {k: v.detach().cpu().contiguous() for k, v in encoder.model.state_dict().items()}
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        payload = {
            "format": CHECKPOINT_FORMAT,
            "model_name": encoder.model_name,
            "model_cfg": model_cfg,
            "preprocess_cfg": preprocess,
            "metadata": metadata or {},
            "state_dict": state,
        }
        torch.save(payload, staging / CHECKPOINT_NAME)
        config = {
            "model_name": encoder.model_name,
            "model_cfg": model_cfg,
            "preprocess_cfg": preprocess,
            "metadata": metadata or {},
        }
        (staging / CONFIG_NAME).write_text(json.dumps(config, indent=2))
        old = None
        if directory.exists():
            old = directory.with_name(f".{directory.name}-old-{os.getpid()}")
            shutil.rmtree(old, ignore_errors=True)
            directory.rename(old)
        staging.rename(directory)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return directory


# --- loading -------------------------------------------------------------------------------


def _read_json(path: Path, spec: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise EncoderUnavailable(
            f"The encoder config {path} (from spec '{spec}') does not exist."
        ) from None
    except (OSError, ValueError):
        raise EncoderUnavailable(
            f"The encoder config {path} (from spec '{spec}') is not readable JSON."
        ) from None
    if not isinstance(data, dict):
        raise EncoderUnavailable(f"The encoder config {path} is not an open_clip model config.")
    return data


def _split_config(data: dict[str, Any], path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(model_cfg, preprocess_cfg) from a plain open_clip config or a local-dir style one."""
    model_cfg = data.get("model_cfg", data)
    preprocess = data.get("preprocess_cfg", {})
    if not all(k in model_cfg for k in ("embed_dim", "vision_cfg", "text_cfg")):
        raise EncoderUnavailable(
            f"{path} is not an open_clip model config (it needs embed_dim, vision_cfg and "
            "text_cfg)."
        )
    return model_cfg, preprocess


def _read_stylist_checkpoint(path: Path, spec: str) -> dict[str, Any]:
    if not path.is_file():
        raise EncoderUnavailable(
            f"The encoder checkpoint {path} (spec '{spec}') does not exist; check STYLIST_ENCODER."
        )
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:
        raise EncoderUnavailable(
            f"The encoder checkpoint {path} (spec '{spec}') could not be read: it is damaged or "
            f"not a PyTorch checkpoint. {TRAIN_HELP} again, or point STYLIST_ENCODER at another file."
        ) from None
    if not isinstance(payload, dict) or "model_cfg" not in payload or "state_dict" not in payload:
        raise EncoderUnavailable(
            f"The checkpoint {path} holds weights but no model config, so I cannot tell its "
            f"architecture. Name it as ARCH:{path} (e.g. ViT-B-32:{path}) or "
            f"CONFIG.json:{path}."
        )
    return payload


def _create(
    model_name: str,
    parsed: EncoderSpec,
    *,
    pretrained: str | None = None,
    preprocess: dict[str, Any] | None = None,
    device: torch.device,
) -> torch.nn.Module:
    """open_clip's factory, with its failures turned into one sentence naming the spec."""
    try:
        with _quiet_open_clip():
            return open_clip.create_model(
                model_name,
                pretrained=pretrained,
                device=device,
                force_preprocess_cfg=preprocess or None,
                require_pretrained=True,
            )
    except EncoderUnavailable:
        raise
    except Exception as err:
        raise _explain_failure(parsed, err) from None


def _explain_failure(parsed: EncoderSpec, err: Exception) -> EncoderUnavailable:
    text = str(err)
    log.debug("encoder %s failed to load", parsed.text, exc_info=err)
    if parsed.kind in ("pretrained", "hf-hub") and parsed.weights_file is None:
        return EncoderUnavailable(
            f"The weights of encoder '{parsed.text}' are not on this machine and could not be "
            f"downloaded (no network?). {WEIGHTS_HELP}."
        )
    weights = parsed.weights_file
    unreadable = isinstance(err, (pickle.UnpicklingError, EOFError, UnicodeDecodeError)) or any(
        marker in text
        for marker in (
            "PytorchStreamReader",
            "invalid load key",
            "zip archive",
            "safetensors",
            "Weights only load failed",
        )
    )
    if not unreadable:
        # Read fine, but the tensors are not this architecture's: missing / unexpected keys,
        # size mismatches, position embeddings of another grid.
        return EncoderUnavailable(
            f"The weights in {weights} do not fit the architecture of encoder '{parsed.text}' "
            "(different layer names or sizes); pair them with the config they were trained with."
        )
    return EncoderUnavailable(
        f"The encoder checkpoint {weights} (spec '{parsed.text}') could not be read: it is "
        f"damaged or not an open_clip checkpoint. {TRAIN_HELP} again, or point STYLIST_ENCODER at "
        "another file."
    )


def load_encoder(spec: str | None = None, settings: StyleSettings | None = None) -> Encoder:
    """Load the encoder a spec names (settings.encoder by default), or raise EncoderUnavailable."""
    settings = settings or get_settings()
    parsed = parse_spec(spec if spec is not None else settings.encoder, settings)
    device = select_device(settings.device)
    register_model_configs()
    model_name, model, model_cfg = _load_model(parsed, device)
    if parsed.kind == "hf-hub":
        try:
            tokenizer = open_clip.get_tokenizer(model_name)
        except Exception as err:
            raise _explain_failure(parsed, err) from None
    else:
        tokenizer = open_clip.get_tokenizer(model_name)
    return Encoder(
        model,
        tokenizer,
        spec=parsed.text,
        fingerprint=_fingerprint(parsed),
        model_name=model_name,
        model_cfg=model_cfg,
        device=device,
        batch_size=settings.batch_size,
    )


def _load_model(
    parsed: EncoderSpec, device: torch.device
) -> tuple[str, torch.nn.Module, dict[str, Any] | None]:
    """(the registered open_clip name, the model with its weights, its config if known)."""
    if parsed.kind == "directory":
        directory = parsed.path
        assert directory is not None
        config_file, weights = directory / CONFIG_NAME, directory / CHECKPOINT_NAME
        if not (config_file.is_file() and weights.is_file()):
            if parsed.is_demo:
                raise EncoderUnavailable(
                    f"The demo encoder has not been trained yet (nothing usable in {directory}). "
                    f"{TRAIN_HELP}."
                )
            raise EncoderUnavailable(
                f"The encoder directory {directory} (spec '{parsed.text}') needs {CONFIG_NAME} "
                f"and {CHECKPOINT_NAME}."
            )
        model_cfg, preprocess = _split_config(_read_json(config_file, parsed.text), config_file)
        name = _register_config(model_cfg)
        return (
            name,
            _create(name, parsed, pretrained=str(weights), preprocess=preprocess, device=device),
            model_cfg,
        )
    if parsed.kind == "config+checkpoint":
        assert parsed.config_path is not None and parsed.path is not None
        model_cfg, preprocess = _split_config(
            _read_json(parsed.config_path, parsed.text), parsed.config_path
        )
        if not parsed.path.is_file():
            raise EncoderUnavailable(
                f"The encoder checkpoint {parsed.path} (spec '{parsed.text}') does not exist."
            )
        name = _register_config(model_cfg)
        return (
            name,
            _create(
                name, parsed, pretrained=str(parsed.path), preprocess=preprocess, device=device
            ),
            model_cfg,
        )
    if parsed.kind == "checkpoint":
        assert parsed.path is not None
        payload = _read_stylist_checkpoint(parsed.path, parsed.text)
        model_cfg = payload["model_cfg"]
        name = _register_config(model_cfg)
        return (
            name,
            _create(
                name,
                parsed,
                pretrained=str(parsed.path),
                preprocess=payload.get("preprocess_cfg"),
                device=device,
            ),
            model_cfg,
        )
    if parsed.kind == "hf-hub":
        name = f"hf-hub:{parsed.hub_id}"
        return name, _create(name, parsed, device=device), None
    # ARCH:TAG or ARCH:/path/to/weights
    assert parsed.arch is not None and parsed.tag is not None
    arch = parsed.arch
    if open_clip.get_model_config(arch) is None:
        raise EncoderUnavailable(
            f"The encoder spec '{parsed.text}' names an unknown open_clip architecture "
            f"'{arch}'; `python -c \"import open_clip; print(open_clip.list_models())\"` lists them."
        )
    if _looks_like_path(parsed.tag):
        if not Path(parsed.tag).is_file():
            raise EncoderUnavailable(
                f"The weights file {parsed.tag} (spec '{parsed.text}') does not exist."
            )
    elif not open_clip.get_pretrained_cfg(arch, parsed.tag):
        tags = ", ".join(open_clip.list_pretrained_tags_by_model(arch)) or "none"
        raise EncoderUnavailable(
            f"The encoder spec '{parsed.text}' names an unknown pretrained tag '{parsed.tag}' for "
            f"{arch}; its tags are: {tags}."
        )
    return (
        arch,
        _create(arch, parsed, pretrained=parsed.tag, device=device),
        open_clip.get_model_config(arch),
    )


# --- the process-wide encoder --------------------------------------------------------------

_CACHE: dict[tuple[str, str, str], Encoder] = {}
_CACHE_LOCK = threading.Lock()


def get_encoder(settings: StyleSettings | None = None) -> Encoder:
    """The configured encoder, loaded once per process.

    Cached by (spec, fingerprint, device): retraining the demo encoder changes its weights hash,
    so the next call loads the new weights instead of serving the old ones.
    """
    settings = settings or get_settings()
    parsed = parse_spec(settings.encoder, settings)
    weights = parsed.weights_file
    if parsed.is_demo and weights is not None and not weights.is_file():
        load_encoder(settings.encoder, settings)  # raises the "train it first" sentence
    try:
        fingerprint = _fingerprint(parsed)
    except OSError:
        fingerprint = parsed.text  # missing file: load_encoder below explains it
    key = (str(parsed.path or parsed.text), fingerprint, settings.device)
    with _CACHE_LOCK:
        encoder = _CACHE.get(key)
        if encoder is None:
            encoder = load_encoder(settings.encoder, settings)
            _CACHE.clear()  # one encoder per process: drop a stale one with its memory
            _CACHE[key] = encoder
        return encoder
