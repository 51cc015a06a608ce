"""Every export kind, in both formats, is a valid file: csv parsed by the csv module with one field per
header column and one type per column, json parsed strictly (no NaN) with one set of keys and one
type per key across the records of a list.

The arguments are small (seconds in all) and include run names with commas, which a csv written by
joining with "," would split.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from tui_dl.cli import EXPORT_TARGETS, main

ARGS = {
    "schedule": ["step_lr", "--steps", "5"],
    "path": ["--surface", "booth", "--optimizer", "adam", "--steps", "3"],
    "init": ["--init", "he", "--convention", "keras", "--activation", "relu", "--layers", "2", "--width", "10",
             "--samples", "10", "--bins", "3"],
    "race": ["--surface", "booth", "--optimizer", "adam:lr=0.3,betas=0.9,0.999", "--optimizer", "sgd",
             "--steps", "3"],
    "basins": ["--surface", "himmelblau", "--optimizer", "sgd", "--set", "lr=0.01", "--grid", "3", "--steps", "5"],
    "train": ["--dataset", "xor", "--epochs", "2", "--set", "hidden=4", "--variant", "none", "--variant", "l2=1e-3"],
    "lr-range": ["--iterations", "6", "--set", "hidden=4"],
    "lr-sweep": ["--epochs", "2", "--count", "3", "--set", "hidden=4"],
    "schedule-race": ["--schedule", "step_lr:lr=0.1,step_size=10", "--schedule", "constant", "--epochs", "2",
                      "--set", "hidden=4"],
    "search": ["--dataset", "sine", "--samples", "4", "--epochs", "2", "--set", "hidden=4",
               "--search", "lr=1e-3:10", "--set", "optimizer=sgd"],
}
INT, FLOAT = re.compile(r"-?\d+"), re.compile(r"-?(\d+\.\d*(e[-+]?\d+)?|\d+e[-+]?\d+|nan|inf)")


def test_every_export_kind_is_covered():
    assert set(ARGS) == set(EXPORT_TARGETS)


def export(capsys, target: str, fmt: str) -> str:
    assert main(["export", target, *ARGS[target], "--format", fmt]) == 0
    captured = capsys.readouterr()
    assert "error" not in captured.err
    return captured.out


def cell_type(cell: str) -> str | None:
    """The kind of a csv cell: None (empty), bool, int, float or str."""
    if cell == "":
        return None
    if cell in ("true", "false"):
        return "bool"
    if INT.fullmatch(cell):
        return "int"
    if FLOAT.fullmatch(cell):
        return "float"
    return "str"


def json_type(value: object) -> str | None:
    if value is None:
        return None
    return {bool: "bool", int: "number", float: "number", str: "str", list: "list", dict: "dict"}[type(value)]


def check_records(value: object, where: str = "$") -> int:
    """Every list of objects in value: one key set, one type per key; returns how many such lists."""
    lists = 0
    if isinstance(value, dict):
        return sum(check_records(v, f"{where}.{k}") for k, v in value.items())
    if isinstance(value, list):
        records = [v for v in value if isinstance(v, dict)]
        if records:
            assert len(records) == len(value), where
            assert all(r.keys() == records[0].keys() for r in records), where
            for key in records[0]:
                kinds = {json_type(r[key]) for r in records} - {None}
                assert len(kinds) <= 1, (where, key, kinds)
            lists += 1
        lists += sum(check_records(v, f"{where}[]") for v in value)
    return lists


@pytest.mark.parametrize("target", list(ARGS))
def test_csv_has_one_field_per_header_column_and_one_type_per_column(capsys, target):
    text = export(capsys, target, "csv")
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert rows and len(set(header)) == len(header)
    for number, row in enumerate(rows, 2):
        assert len(row) == len(header), (target, number, row)
    for column, name in enumerate(header):
        kinds = {cell_type(row[column]) for row in rows} - {None}
        assert len(kinds) <= 1, (target, name, kinds)
        assert kinds != {"str"} or name in ("run", "label", "optimizer", "name", "schedule"), (target, name)


@pytest.mark.parametrize("target", list(ARGS))
def test_json_is_strict_and_its_records_agree(capsys, target):
    def no_constants(name: str) -> None:
        raise AssertionError(f"{target}: {name} in json")

    document = json.loads(export(capsys, target, "json"), parse_constant=no_constants)
    assert isinstance(document, dict) and document
    check_records(document)


def test_a_run_name_with_commas_is_one_quoted_field(capsys):
    text = export(capsys, "schedule-race", "csv")
    assert '\n"step_lr:lr=0.1,step_size=10",0,' in text
    assert [row[0] for row in csv.reader(io.StringIO(text))][1:3] == ["step_lr:lr=0.1,step_size=10"] * 2
