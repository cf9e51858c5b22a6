from churn.model import predict, scale


def test_scale_maps_each_column_to_0_1() -> None:
    assert scale([[0.0, 10.0], [5.0, 20.0]]) == [[0.0, 0.0], [1.0, 1.0]]


def test_predict_is_a_probability() -> None:
    assert 0.0 < predict([0.0, 1.0], [0.5]) < 1.0
