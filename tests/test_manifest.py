"""SHA-256 manifests of model files: build, record, verify, and every way files can differ."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlci import manifest
from mlci.errors import UsageError


def model_tree(root: Path) -> Path:
    """A repository with a model folder (nested), a loose file and unrelated files."""
    files = {
        "models/weights.json": '{"w": [0.1, 0.2]}\n',
        "models/sub/vocab.txt": "a\nb\nc\n",
        "models/empty.bin": "",
        "preprocess.pkl": "\x00\x01pickle",
        "train.py": "print('train')\n",
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode())
    return root


def copy_model(src: Path, manifest_: manifest.Manifest, dest: Path) -> Path:
    for entry in manifest_.files:
        target = dest / entry.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src / entry.path, target)
    return dest


def test_manifest_lists_every_file_sorted_with_sizes_and_digests(tmp_path: Path) -> None:
    root = model_tree(tmp_path / "repo")
    m = manifest.build(root, ["models/", "preprocess.pkl"])
    assert [e.path for e in m.files] == [
        "models/empty.bin",
        "models/sub/vocab.txt",
        "models/weights.json",
        "preprocess.pkl",
    ]
    weights = next(e for e in m.files if e.path == "models/weights.json")
    data = (root / "models/weights.json").read_bytes()
    assert weights.size == len(data)
    assert weights.sha256 == hashlib.sha256(data).hexdigest()
    # The top digest is documented: sha256 over "<hex>  <size>  <path>\n" lines in path order.
    lines = "".join(
        f"{hashlib.sha256((root / e.path).read_bytes()).hexdigest()}  {e.size}  {e.path}\n"
        for e in m.files
    )
    assert m.digest == "sha256:" + hashlib.sha256(lines.encode()).hexdigest()
    assert m.summary().startswith("4 files, ")


def test_the_digest_does_not_depend_on_order_overlap_or_where_the_repository_is(
    tmp_path: Path,
) -> None:
    a = manifest.build(model_tree(tmp_path / "a"), ["preprocess.pkl", "models"])
    b = manifest.build(
        model_tree(tmp_path / "b"), ["models/", "models/weights.json", "preprocess.pkl"]
    )
    assert a == b and a.digest == b.digest


def test_json_round_trip_and_a_tampered_record_is_refused(tmp_path: Path) -> None:
    m = manifest.build(model_tree(tmp_path), ["models"])
    assert manifest.loads(m.to_json(), where="tag") == m
    assert manifest.loads(m.to_json(indent=2), where="tag") == m
    data = json.loads(m.to_json())
    data["files"][0]["sha256"] = "0" * 64
    with pytest.raises(UsageError, match="record was altered"):
        manifest.from_dict(data, where="tag churn@v0.0.1")
    for bad in [
        {"algorithm": "md5", "files": [], "digest": ""},
        {"algorithm": "sha256"},
        {"algorithm": "sha256", "files": [{"path": "/etc/passwd", "size": 1, "sha256": "0" * 64}]},
        {"algorithm": "sha256", "files": [{"path": "../x", "size": 1, "sha256": "0" * 64}]},
        {"algorithm": "sha256", "files": [{"path": "x", "size": -1, "sha256": "0" * 64}]},
        {"algorithm": "sha256", "files": [{"path": "x", "size": 1, "sha256": "XYZ"}]},
        {"algorithm": "sha256", "files": [{"path": "b", "size": 1, "sha256": "0" * 64}] * 2},
    ]:
        with pytest.raises(UsageError, match="manifest"):
            manifest.from_dict(bad, where="tag")
    with pytest.raises(UsageError, match=r"^tag:1: malformed model manifest"):
        manifest.loads("{", where="tag")


@pytest.mark.parametrize(
    ("paths", "message"),
    [
        ([], "train.artifacts is empty"),
        (["models/missing.bin"], "does not exist .* did the training write it"),
        (["/abs/models"], "must be a path inside the repository"),
        (["../elsewhere"], "must be a path inside the repository"),
        (["."], "must be a path inside the repository"),
        (["emptydir"], "is an empty folder"),
    ],
)
def test_bad_artifact_paths_are_one_line_usage_errors(
    tmp_path: Path, paths: list[str], message: str
) -> None:
    root = model_tree(tmp_path)
    (root / "emptydir").mkdir()
    with pytest.raises(UsageError, match=message) as info:
        manifest.build(root, paths)
    assert "\n" not in str(info.value)


def test_a_symlinked_folder_is_refused_and_a_symlinked_file_is_hashed_by_content(
    tmp_path: Path,
) -> None:
    root = model_tree(tmp_path)
    os.symlink(root / "models" / "sub", root / "models" / "link")
    with pytest.raises(UsageError, match="symbolic link to a folder"):
        manifest.build(root, ["models"])
    os.unlink(root / "models" / "link")
    os.symlink(root / "preprocess.pkl", root / "models" / "p.pkl")
    m = manifest.build(root, ["models"])
    linked = next(e for e in m.files if e.path == "models/p.pkl")
    assert linked.sha256 == hashlib.sha256((root / "preprocess.pkl").read_bytes()).hexdigest()


# --------------------------------------------------------------------------- verify


@pytest.fixture
def recorded(tmp_path: Path) -> tuple[manifest.Manifest, Path]:
    root = model_tree(tmp_path / "repo")
    m = manifest.build(root, ["models", "preprocess.pkl"])
    return m, copy_model(root, m, tmp_path / "fetched")


def verify_error(directory: Path, m: manifest.Manifest) -> str:
    with pytest.raises(UsageError) as info:
        manifest.verify(directory, m, what="churn v0.0.3's files")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"churn v0.0.3's files do not match the recorded digest {m.digest}: ")
    return message


def test_an_exact_copy_verifies(recorded: tuple[manifest.Manifest, Path]) -> None:
    m, fetched = recorded
    manifest.verify(fetched, m, what="files")
    (fetched / manifest.MANIFEST_FILE).write_text(m.to_json())
    manifest.verify(fetched, m, what="files", ignore=[manifest.MANIFEST_FILE])


def test_a_flipped_byte_is_named(recorded: tuple[manifest.Manifest, Path]) -> None:
    m, fetched = recorded
    path = fetched / "models/weights.json"
    data = bytearray(path.read_bytes())
    data[3] ^= 0x01
    path.write_bytes(bytes(data))
    assert "models/weights.json has sha256 " in verify_error(fetched, m)


def test_a_truncated_file_is_named_by_size(recorded: tuple[manifest.Manifest, Path]) -> None:
    m, fetched = recorded
    path = fetched / "models/sub/vocab.txt"
    path.write_bytes(path.read_bytes()[:-1])
    assert "models/sub/vocab.txt is 5 bytes, 6 recorded" in verify_error(fetched, m)


def test_a_missing_file_is_named(recorded: tuple[manifest.Manifest, Path]) -> None:
    m, fetched = recorded
    (fetched / "models/empty.bin").unlink()
    assert verify_error(fetched, m).endswith("models/empty.bin is missing; nothing was used")


def test_an_extra_file_is_named(recorded: tuple[manifest.Manifest, Path]) -> None:
    m, fetched = recorded
    (fetched / "models/sub/evil.py").write_text("import os\n")
    message = verify_error(fetched, m)
    assert "models/sub/evil.py is not in the recorded manifest (extra file)" in message


def test_a_renamed_file_is_named_as_a_rename(recorded: tuple[manifest.Manifest, Path]) -> None:
    m, fetched = recorded
    (fetched / "models/weights.json").rename(fetched / "models/weights-old.json")
    message = verify_error(fetched, m)
    assert "models/weights.json was renamed to models/weights-old.json" in message
    assert "+1 more" not in message  # one problem, not a missing and an extra


def test_several_problems_name_the_first_and_count_the_rest(
    recorded: tuple[manifest.Manifest, Path],
) -> None:
    m, fetched = recorded
    (fetched / "preprocess.pkl").unlink()
    (fetched / "models/weights.json").write_text("{}")
    message = verify_error(fetched, m)
    assert "models/weights.json is 2 bytes, 18 recorded (+1 more)" in message


def test_verify_of_a_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    m = manifest.build(model_tree(tmp_path / "repo"), ["models"])
    with pytest.raises(UsageError, match="no such folder"):
        manifest.verify(tmp_path / "nowhere", m, what="files")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    files=st.dictionaries(
        st.from_regex(r"[a-z]{1,6}(/[a-z]{1,6}){0,2}\.bin", fullmatch=True),
        st.binary(min_size=1, max_size=64),
        min_size=1,
        max_size=6,
    ),
    data=st.data(),
)
def test_any_single_byte_change_is_caught(
    tmp_path_factory: pytest.TempPathFactory, files: dict[str, bytes], data: st.DataObject
) -> None:
    root = tmp_path_factory.mktemp("m")
    written: dict[str, bytes] = {}
    for name, content in files.items():
        path = root / "model" / name
        if any(p.is_file() for p in path.parents) or path.is_dir():
            continue  # a name that is also a folder of another name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        written[name] = content
    m = manifest.build(root, ["model"])
    assert len(m.files) == len(written)
    manifest.verify(root, manifest.loads(m.to_json(), where="t"), what="f")
    name = data.draw(st.sampled_from(sorted(written)))
    content = bytearray(written[name])
    index = data.draw(st.integers(0, len(content) - 1))
    content[index] ^= 1 << data.draw(st.integers(0, 7))
    (root / "model" / name).write_bytes(bytes(content))
    with pytest.raises(UsageError, match=f"model/{name} has sha256"):
        manifest.verify(root, m, what="f")


def test_a_file_of_the_manifest_lines_has_the_models_digest(tmp_path: Path) -> None:
    """What registry.attest attests and fetch-model --verify-attestation hands to gh."""
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "w.json").write_text("[1]")
    (tmp_path / "models" / "v.txt").write_text("a")
    built = manifest.build(tmp_path, ["models"])
    assert built.text() == b"".join(e.line().encode() for e in built.files)
    assert "sha256:" + hashlib.sha256(built.text()).hexdigest() == built.digest
