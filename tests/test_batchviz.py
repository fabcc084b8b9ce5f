"""hflab.batchviz: what each grid cell is (padding, [MASK], special, -100), the pictures, Korean errors."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from hflab import batchviz  # noqa: E402
from hflab.batchviz import BatchVizError  # noqa: E402


class FakeTokenizer:
    """Just what the helpers read: special ids, pad / mask ids, id -> token."""

    all_special_ids = [0, 101, 102, 103]
    pad_token_id = 0
    mask_token_id = 103
    vocab = {0: "[PAD]", 101: "[CLS]", 102: "[SEP]", 103: "[MASK]", 5: "hello", 6: "##lo", 7: "ĠHi", 8: "Ċ"}

    def convert_ids_to_tokens(self, ids):
        return [self.vocab.get(i, f"t{i}") for i in ids]


BATCH = {
    "input_ids": torch.tensor([[101, 5, 103, 102, 0], [101, 5, 6, 7, 102]]),
    "attention_mask": torch.tensor([[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]]),
    "labels": torch.tensor([[-100, -100, 6, -100, -100], [-100, 5, -100, -100, -100]]),
}


def test_cell_kinds():
    kinds = batchviz.cell_kinds(BATCH, FakeTokenizer())
    assert kinds["input_ids"][0] == ["special", "token", "mask", "special", "pad"]
    assert kinds["attention_mask"][0] == ["one", "one", "one", "one", "zero"]
    assert kinds["labels"][0] == ["ignore", "ignore", "label", "ignore", "ignore"]
    # without a mask, padding is recognised by pad_token_id
    no_mask = {"input_ids": BATCH["input_ids"]}
    assert batchviz.cell_kinds(no_mask, FakeTokenizer())["input_ids"][0][-1] == "pad"


def test_default_fields_skip_sentence_labels():
    assert batchviz._default_fields(BATCH) == ["input_ids", "attention_mask", "labels"]
    sentence = {**BATCH, "labels": torch.tensor([0, 1])}
    assert batchviz._default_fields(sentence) == ["input_ids", "attention_mask"]


def test_token_text_byte_level_is_readable():
    assert batchviz._token_text(FakeTokenizer(), [7, 8, 6]) == ["·Hi", "↲", "##lo"]
    assert batchviz._token_text(None, [7]) == ["7"]


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(fields=["input_ids", "labels"], labels_as="ids", max_cols=3, start=2),
    dict(label_names={5: "B-PER", 6: "I-PER"}, text=False),
])
def test_token_grid_draws(kwargs):
    fig = batchviz.token_grid(BATCH, FakeTokenizer(), title="t", **kwargs)
    assert fig.axes
    plt.close(fig)


def test_token_grid_with_sentence_labels_and_different_label_width():
    sentence = {**BATCH, "labels": torch.tensor([0, 1])}
    plt.close(batchviz.token_grid(sentence, FakeTokenizer()))
    seq2seq = {**BATCH, "labels": torch.tensor([[5, 6, -100], [5, -100, -100]])}
    fig = batchviz.token_grid(seq2seq, FakeTokenizer(), fields=["input_ids", "labels"])
    assert "2 × 3" in fig.axes[1].get_title("left")
    plt.close(fig)


@pytest.mark.parametrize("batch, kwargs, words", [
    ({"text": ["a"]}, {}, "input_ids"),
    ({"input_ids": [[1, 2], [1]]}, {}, "패딩"),
    (BATCH, dict(rows=[5]), "rows"),
    (BATCH, dict(max_cols=0), "max_cols"),
    (BATCH, dict(labels_as="names"), "label_names"),
    (BATCH, dict(labels_as="x"), "labels_as"),
    (BATCH, dict(fields=["nope"]), "nope"),
    (BATCH, dict(start=9), "start"),
])
def test_token_grid_bad_input_is_korean(batch, kwargs, words):
    with pytest.raises(BatchVizError, match=words):
        batchviz.token_grid(batch, FakeTokenizer(), **kwargs)


def test_padding_heatmaps():
    epochs = {"a": [BATCH, BATCH], "b": [{"input_ids": torch.ones(3, 2), "attention_mask": torch.ones(3, 2)}]}
    fig = batchviz.padding_heatmaps(epochs, n_batches=2, title="x")
    assert len(fig.axes) == 2 and "패딩 비율" in fig.axes[0].get_title("left")
    plt.close(fig)
    with pytest.raises(BatchVizError):
        batchviz.padding_heatmaps({})
    with pytest.raises(BatchVizError, match="n_batches"):
        batchviz.padding_heatmaps(epochs, n_batches=0)
    with pytest.raises(BatchVizError, match="비어"):
        batchviz.padding_heatmaps({"a": []})
