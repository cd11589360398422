"""The garment's colour is read from its own pixels, not from the white around it."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from stylist.catalog.demo import load_vocab
from stylist.models.garment_colour import ColourPalette, colour_shares, reference_colours


def garment_on_white(rgb: tuple[int, int, int], size=(60, 80)) -> Image.Image:
    """A small garment (a third of the photo) on a white studio background."""
    image = Image.new("RGB", size, (255, 255, 255))
    ImageDraw.Draw(image).rectangle((18, 22, 42, 58), fill=rgb)
    return image


@pytest.mark.parametrize("names", [None, list(load_vocab()["colours"])], ids=["all", "demo"])
def test_a_red_garment_on_white_reads_red(names):
    shares = colour_shares(garment_on_white((200, 30, 40)), ColourPalette.for_names(names))
    assert shares[0][0] == "Red"
    assert shares[0][1] > 0.8  # the white background cast no votes


def test_dark_and_light_garments_keep_their_names():
    palette = ColourPalette.for_names(list(load_vocab()["colours"]))
    assert colour_shares(garment_on_white((20, 20, 22)), palette)[0][0] == "Black"
    assert colour_shares(garment_on_white((30, 50, 160)), palette)[0][0] in {"Blue", "Navy Blue"}
    # A photo that is all one colour is the garment filling the frame.
    assert colour_shares(Image.new("RGB", (40, 40), (200, 30, 40)), palette)[0][0] == "Red"


def test_the_palette_answers_only_the_catalogs_names():
    palette = ColourPalette.for_names(["Red", "Blue", "Scarlet"])
    assert palette.names == ("Red", "Blue")
    shares = colour_shares(garment_on_white((240, 120, 30)), palette)
    assert {name for name, _ in shares} == {"Red", "Blue"}
    assert sum(share for _, share in shares) == pytest.approx(1.0)


def test_every_reference_is_a_lab_colour():
    for name, references in reference_colours().items():
        assert 1 <= len(references) <= 2, name
        for lab in references:
            assert len(lab) == 3 and 0 <= lab[0] <= 100, name
