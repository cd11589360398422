"""Errors of the model layer; each carries a sentence a person can act on."""


class ModelMissing(RuntimeError):
    """A checkpoint is missing, unreadable, or does not match the encoder or catalog."""


class EncoderUnavailable(RuntimeError):
    """The encoder spec cannot be loaded (e.g. weights not downloadable offline)."""


class PretrainedUnavailable(EncoderUnavailable):
    """A packaged pretrained network (its pip package or its weights file) is not installed."""


class DeviceUnavailable(EncoderUnavailable):
    """STYLIST_DEVICE names a device this machine does not have.

    A kind of EncoderUnavailable so that every door that already explains an unavailable encoder
    (CLI, API, chat tools) explains this too, whichever model asked for the device.
    """
