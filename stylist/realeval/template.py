"""The fixed text of docs/evaluation.md; report.py fills the $fields from the run's results.

Kept as a Python string (not a .md file) so that it ships inside the package wherever it is
installed. Wording that depends on the numbers ("falls short by ...") is generated in
report.py; this holds only what is true whatever the figures are.
"""

TEMPLATE = """\
# Evaluation on a real catalog

<!-- Written by `stylist eval-real` from $state_file; do not edit by hand, run it again. -->

$headline

Catalog: `$catalog_name` — $items items ($train_items for training, $test_items held out by
one seeded split stratified on article type, seed $split_seed). Nothing was pretrained:
this machine has no network, so every model below was trained from random weights on the
training split only, and every figure is measured on the held-out split.
Run: preset `$preset`, $machine. Reproduce with

```bash
$command
```

## Contents

- [Time per stage](#time-per-stage)
- [What the real catalog looks like](#what-the-real-catalog-looks-like)
- [Attribute tagging: weighted F1](#attribute-tagging-weighted-f1)
- [Text to image search: Recall@k](#text-to-image-search-recallk)
- [Few-shot: new article types from k examples](#few-shot-new-article-types-from-k-examples)
- [Tagging latency and memory](#tagging-latency-and-memory)
- [Gaps](#gaps)

## Time per stage

$time_summary

$time_table

## What the real catalog looks like

$data_notes

$class_table

## Attribute tagging: weighted F1

Weighted F1 per attribute on the held-out split, classes with fewer than $min_class_count
items merged into "Other" (as the reference did). The reference column is the published table
of the project this one follows; the CNN is the multi-task network trained on pixels
(`stylist train cnn`), the heads are small MLPs on the image embedding of the encoder trained
here (`stylist train attributes`).

$f1_table

$f1_verdict

$f1_reasons

$f1_images

$cnn_details

$confusion_images

## Text to image search: Recall@k

Each held-out item's productDisplayName queries the photo embeddings of the whole catalog
(gallery $gallery items); the hit is that item's own photo ("exact") or any item with the same
name ("same name": names repeat, nothing in the query tells those items apart). Marqo's
published KAGL figures are for pretrained models searching all 44,434 Kaggle items at 224 px;
ours is an encoder trained from scratch for minutes on $train_items thumbnails.

$recall_table

$kagl_notes

$recall_verdict

$encoder_details

$search_images

$attribute_search

## Few-shot: new article types from k examples

$fewshot_protocol

$fewshot_table

$fewshot_verdict

$fewshot_images

## Tagging latency and memory

$bench_intro

$bench_table

$bench_verdict

## Gaps

$gaps
"""
