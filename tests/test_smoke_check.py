from factory import AS_OF, HEAD_A, HEAD_B, write

from excel_bridge.check import check_file


def test_base_rows_are_valid(tmp_path, config):
    result = check_file(write(tmp_path / "v.xlsx", config), config, as_of=AS_OF)
    assert result.issues == []
    assert result.exit_code == 0
    by_head = {h["head_id"]: h for h in result.to_json()["households"]}
    assert by_head[HEAD_A]["per_capita_income"] == 12000.0
    assert by_head[HEAD_A]["proposed"] is False
    assert by_head[HEAD_B]["per_capita_income"] == 8000.0
    assert by_head[HEAD_B]["rules"] == ["R-INCOME"]
    assert by_head[HEAD_B]["category"] == "脱贫不稳定户"
    assert by_head[HEAD_B]["assistance"] == "兜底保障"
