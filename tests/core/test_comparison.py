from digitpad.core.comparison import compare_adaptation, compare_cards

SHIPPED = {"validation_accuracy": 0.997, "data_sha256": {"train": "a"},
           "dev_sets": {"touch strokes": 0.994}}


def test_a_worse_validation_is_worse_and_says_by_how_much():
    comparison = compare_cards({**SHIPPED, "validation_accuracy": 0.988, "dev_sets": {}},
                               SHIPPED)
    assert not comparison.no_worse and comparison.worse_on == ("validation",)
    assert comparison.describe() == "98.80% vs 99.70% validation"


def test_equal_or_better_on_every_shared_measure_is_no_worse():
    assert compare_cards(dict(SHIPPED), SHIPPED).no_worse
    better = {**SHIPPED, "validation_accuracy": 0.998, "dev_sets": {"touch strokes": 0.995}}
    comparison = compare_cards(better, SHIPPED)
    assert comparison.no_worse
    assert comparison.describe() == "99.80% vs 99.70% validation, 99.50% vs 99.40% touch strokes"


def test_a_drawn_dev_set_can_make_a_better_validation_worse():
    candidate = {**SHIPPED, "validation_accuracy": 0.999, "dev_sets": {"touch strokes": 0.98}}
    comparison = compare_cards(candidate, SHIPPED)
    assert not comparison.no_worse and comparison.worse_on == ("touch strokes",)


def test_validation_on_other_data_does_not_count_and_nothing_else_speaks_against():
    other_data = {"validation_accuracy": 0.95, "data_sha256": {"train": "b"}}
    assert compare_cards(other_data, SHIPPED).measures == ()
    assert compare_cards(other_data, SHIPPED).no_worse
    assert compare_cards({"validation_accuracy": 0.95}, {}).no_worse  # a card-less model


def test_extra_measures_count_like_the_cards_own():
    comparison = compare_cards(SHIPPED, SHIPPED, my_digits=(0.90, 0.95))
    assert not comparison.no_worse and comparison.worse_on == ("my_digits",)


def adapted(held_before, held_after, mnist_before, mnist_after):
    reading = lambda accuracy: {"count": 10, "errors": round((1 - accuracy) * 10),  # noqa: E731
                                "accuracy": accuracy}
    return {"adaptation": {"held_out_before": reading(held_before),
                           "held_out_after": reading(held_after),
                           "mnist_test_before": mnist_before, "mnist_test_after": mnist_after}}


def test_an_adaptation_is_no_worse_when_it_reads_the_held_out_digits_as_well_and_mnist_nearly():
    assert compare_adaptation(adapted(0.6, 0.9, 0.9966, 0.9955)).no_worse  # -0.11 pt: allowed
    worse_mnist = compare_adaptation(adapted(0.6, 0.9, 0.9966, 0.9940))  # -0.26 pt
    assert worse_mnist.worse_on == ("MNIST test",)
    assert "99.40% vs 99.66% MNIST test" in worse_mnist.describe()
    assert compare_adaptation(adapted(0.9, 0.8, 0.9966, 0.9966)).worse_on == (
        "your held-out digits",)
    nothing_held_out = {"adaptation": {"held_out_before": None, "held_out_after": None,
                                       "mnist_test_before": 0.99, "mnist_test_after": 0.99}}
    assert [m[0] for m in compare_adaptation(nothing_held_out).measures] == ["MNIST test"]
