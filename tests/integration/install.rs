//! scripts/install.sh against a local release directory: the debug binary packed by
//! scripts/release/package.sh (as the release workflow packs each build), served over
//! `file://` or from 127.0.0.1, installed with no Rust toolchain on PATH.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use axum::http::StatusCode;
use axum::response::IntoResponse;

/// The PATH install scripts run with: the system's tools and nothing from a Rust toolchain.
pub(crate) const SYSTEM_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// Returns the repository root.
pub(crate) fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Returns the release target scripts/install.sh picks on this machine.
pub(crate) fn host_target() -> &'static str {
    match (std::env::consts::ARCH, std::env::consts::OS) {
        ("x86_64", "linux") => "x86_64-unknown-linux-musl",
        ("aarch64", "linux") => "aarch64-unknown-linux-musl",
        ("x86_64", "macos") => "x86_64-apple-darwin",
        ("aarch64", "macos") => "aarch64-apple-darwin",
        other => panic!("no release target for {other:?}"),
    }
}

/// Returns the name of this machine's release archive.
pub(crate) fn host_archive() -> String {
    format!("promptci-{}.tar.gz", host_target())
}

/// Returns a directory holding this machine's release archive and its `.sha256`, packed once
/// per test run from the debug binary (packing ~250 MB takes seconds, so tests share it).
pub(crate) fn local_release() -> &'static Path {
    static RELEASE: OnceLock<PathBuf> = OnceLock::new();
    RELEASE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("install-release");
        let _ = std::fs::remove_dir_all(&dir);
        let output = Command::new("sh")
            .arg(repository().join("scripts/release/package.sh"))
            .arg(host_target())
            .arg(assert_cmd::cargo::cargo_bin!("promptci"))
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "package.sh: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        dir
    })
}

/// A release directory of its own for one test: links to [`local_release`]'s files, so a test
/// can add, drop or corrupt files without touching the shared ones.
pub(crate) fn release_copy(into: &Path) -> PathBuf {
    let dir = into.join("release");
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(local_release()).unwrap() {
        let entry = entry.unwrap();
        std::os::unix::fs::symlink(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    dir
}

/// Replaces the `.sha256` of this machine's archive in a [`release_copy`] with `text`.
pub(crate) fn replace_checksum(release: &Path, text: &str) {
    let checksum = release.join(format!("{}.sha256", host_archive()));
    std::fs::remove_file(&checksum).unwrap();
    std::fs::write(&checksum, text).unwrap();
}

/// The output of one run of the install script.
struct Installed {
    code: i32,
    stderr: String,
}

/// Runs `sh scripts/install.sh ARGS` with a clean environment: `HOME`, [`SYSTEM_PATH`] and
/// `env`.
fn install(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Installed {
    let output = Command::new("sh")
        .arg(repository().join("scripts/install.sh"))
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("PATH", SYSTEM_PATH)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    Installed {
        code: output.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn version_of(binary: &Path) -> String {
    let output = Command::new(binary).arg("--version").output().unwrap();
    assert!(output.status.success(), "{} --version", binary.display());
    String::from_utf8(output.stdout).unwrap()
}

fn file_url(dir: &Path) -> String {
    format!("file://{}", dir.display())
}

#[test]
fn the_install_script_installs_a_working_binary_without_a_toolchain() {
    let temp = tempfile::tempdir().unwrap();
    let to = temp.path().join("tools/bin");
    let run = install(
        temp.path(),
        &[
            "--to",
            to.to_str().unwrap(),
            "--base-url",
            &file_url(local_release()),
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("verified SHA-256"), "{}", run.stderr);
    let expected = version_of(assert_cmd::cargo::cargo_bin!("promptci"));
    assert_eq!(version_of(&to.join("promptci")), expected);
    // Nothing but the binary is left behind: no staging file, no unpacked archive.
    let left: Vec<_> = std::fs::read_dir(&to)
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(left, ["promptci"]);
    assert!(
        run.stderr.contains("is not on PATH"),
        "a directory off PATH gets a hint: {}",
        run.stderr
    );
}

/// Serves the files of a directory on 127.0.0.1 under `/releases/v9/`, as a mirror would, and
/// records the paths asked for.
struct FileServer {
    address: std::net::SocketAddr,
    requests: Arc<Mutex<Vec<String>>>,
    _runtime: tokio::runtime::Runtime,
}

impl FileServer {
    fn start(root: PathBuf) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let address = listener.local_addr().unwrap();
        let seen = Arc::clone(&requests);
        let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
            let root = root.clone();
            let seen = Arc::clone(&seen);
            async move {
                let path = uri.path().to_owned();
                seen.lock().unwrap().push(path.clone());
                let file = path
                    .strip_prefix("/releases/v9/")
                    .map(|name| root.join(name));
                match file.map(std::fs::read) {
                    Some(Ok(bytes)) => (StatusCode::OK, bytes).into_response(),
                    _ => StatusCode::NOT_FOUND.into_response(),
                }
            }
        });
        runtime.spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            address,
            requests,
            _runtime: runtime,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }
}

#[test]
fn the_install_script_downloads_over_http_into_the_default_directory() {
    let server = FileServer::start(local_release().to_owned());
    let home = tempfile::tempdir().unwrap();
    let bin = home.path().join(".local/bin");
    // An older promptci is replaced.
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(bin.join("promptci"), "#!/bin/sh\necho old\n").unwrap();
    let path = format!("{}:{SYSTEM_PATH}", bin.display());
    let run = install(
        home.path(),
        &[],
        &[
            ("PROMPTCI_DOWNLOAD_URL", &server.url("/releases/v9/")),
            ("PATH", &path),
            ("NO_PROXY", "127.0.0.1"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let archive = host_archive();
    assert_eq!(
        *server.requests.lock().unwrap(),
        [
            format!("/releases/v9/{archive}"),
            format!("/releases/v9/{archive}.sha256")
        ]
    );
    assert_eq!(
        version_of(&bin.join("promptci")),
        version_of(assert_cmd::cargo::cargo_bin!("promptci"))
    );
    assert!(!run.stderr.contains("not on PATH"), "{}", run.stderr);
}

#[test]
fn a_checksum_mismatch_is_refused_and_nothing_is_installed() {
    let temp = tempfile::tempdir().unwrap();
    let release = release_copy(temp.path());
    let to = temp.path().join("bin");
    let args = [
        "--to",
        to.to_str().unwrap(),
        "--base-url",
        &file_url(&release),
    ];
    let wrong = "ab".repeat(32);
    replace_checksum(&release, &format!("{wrong}  {}\n", host_archive()));
    let run = install(temp.path(), &args, &[]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    let expected = format!("checksum mismatch for {}: expected {wrong}", host_archive());
    assert!(run.stderr.contains(&expected), "{}", run.stderr);
    assert!(!to.exists(), "nothing is installed");

    // A checksum file that holds no checksum is refused the same way.
    replace_checksum(&release, "<html>not found</html>\n");
    let run = install(temp.path(), &args, &[]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(run.stderr.contains("holds no SHA-256"), "{}", run.stderr);
}

#[test]
fn the_install_script_says_what_is_missing_or_unsupported() {
    let temp = tempfile::tempdir().unwrap();
    let empty = temp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let base = file_url(&empty);

    // A platform the release builds, missing from this release: a download failure.
    let run = install(
        temp.path(),
        &["--target", "aarch64-apple-darwin", "--base-url", &base],
        &[],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "could not download {base}/promptci-aarch64-apple-darwin.tar.gz"
        )),
        "{}",
        run.stderr
    );

    // A platform no release builds: said so, with the way to build it.
    let run = install(
        temp.path(),
        &["--target", "riscv64gc-unknown-linux-gnu"],
        &[],
    );
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("no prebuilt promptci for `riscv64gc-unknown-linux-gnu`")
            && run.stderr.contains("cargo install --locked"),
        "{}",
        run.stderr
    );

    let run = install(temp.path(), &["--into", "x"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("unknown argument `--into`"),
        "{}",
        run.stderr
    );
    let run = install(temp.path(), &["--to"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn the_release_workflow_builds_every_target_the_install_script_accepts() {
    let text = std::fs::read_to_string(repository().join(".github/workflows/release.yml")).unwrap();
    let workflow: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    let targets: Vec<&str> = workflow["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["target"].as_str().unwrap())
        .collect();
    assert_eq!(targets.len(), 5, "{targets:?}");
    assert!(targets.contains(&host_target()), "{targets:?}");
    let temp = tempfile::tempdir().unwrap();
    let base = file_url(temp.path());
    for target in targets {
        // Accepted (so the download is tried and fails on the empty directory), not exit 5.
        let run = install(temp.path(), &["--target", target, "--base-url", &base], &[]);
        assert_eq!(run.code, 3, "{target}: {}", run.stderr);
        let archive = if target.contains("windows") {
            format!("promptci-{target}.zip")
        } else {
            format!("promptci-{target}.tar.gz")
        };
        assert!(run.stderr.contains(&archive), "{target}: {}", run.stderr);
    }
    // Each build is packed by the script the tests above install from.
    assert!(text.contains("scripts/release/package.sh"));
}
