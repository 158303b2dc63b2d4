//! A scriptable OpenAI-compatible model server on 127.0.0.1 for integration tests.
//!
//! Each request is recorded (body and headers) and answered by a responder closure that sees
//! the request and its 0-based index, so tests script answers, errors, delays, malformed bodies
//! and dropped connections, then assert call counts and bodies.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

/// One recorded request.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub(crate) path: String,
    /// The query string, without the `?`.
    pub(crate) query: Option<String>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Value,
    /// When the request arrived.
    pub(crate) at: Instant,
}

impl Recorded {
    /// Returns the last user message of a chat request.
    pub(crate) fn last_user(&self) -> String {
        self.body["messages"]
            .as_array()
            .and_then(|messages| messages.iter().rev().find(|m| m["role"] == "user"))
            .and_then(|m| m["content"].as_str())
            .unwrap_or_default()
            .to_owned()
    }

    /// Returns the system message of a chat request (OpenAI or Anthropic shape).
    pub(crate) fn system(&self) -> String {
        if let Some(system) = self.body["system"].as_str() {
            return system.to_owned();
        }
        self.body["messages"]
            .as_array()
            .and_then(|messages| messages.iter().find(|m| m["role"] == "system"))
            .and_then(|m| m["content"].as_str())
            .unwrap_or_default()
            .to_owned()
    }
}

/// What the server does for one request.
#[derive(Debug, Clone)]
pub(crate) enum Reply {
    /// A chat completion with this content.
    Answer(String),
    /// A raw response.
    Raw {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Waits, then does the inner reply.
    Delayed(Duration, Box<Reply>),
    /// Starts a 200 response and drops the connection mid-body.
    Drop,
    /// A server-sent event stream: each event's data after its delay, then `[DONE]` unless
    /// `cut`, in which case the connection drops instead.
    Stream {
        events: Vec<(Duration, String)>,
        cut: bool,
    },
    /// A large body made on the fly (see [`Flood`]).
    Flood(Flood),
    /// Waits until the server has received this many requests in all, then does the inner
    /// reply: answers that must reach the client together.
    AfterArrivals(usize, Box<Reply>),
}

/// A body of `head` followed by `filler` repeated up to `bytes` bytes in all, produced only as
/// fast as the client reads it; `sent` counts the bytes handed to the connection, so a test
/// sees how much a client read before it stopped. With `hang`, the body then stays open.
#[derive(Debug, Clone)]
pub(crate) struct Flood {
    pub(crate) status: u16,
    pub(crate) content_type: &'static str,
    pub(crate) head: String,
    pub(crate) filler: String,
    pub(crate) bytes: usize,
    pub(crate) hang: bool,
    pub(crate) sent: Arc<AtomicUsize>,
}

impl Reply {
    pub(crate) fn answer(text: impl Into<String>) -> Self {
        Self::Answer(text.into())
    }

    pub(crate) fn status(status: u16, body: impl Into<String>) -> Self {
        Self::Raw {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// A raw response with headers, like a 429 with `Retry-After`.
    pub(crate) fn with_headers(status: u16, headers: &[(&str, &str)], body: &str) -> Self {
        Self::Raw {
            status,
            headers: headers
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect(),
            body: body.to_owned(),
        }
    }

    /// A 200 whose body is cut-off JSON.
    pub(crate) fn malformed() -> Self {
        Self::with_headers(
            200,
            &[("content-type", "application/json")],
            r#"{"choices": [{"message": {"content": "hel"#,
        )
    }

    pub(crate) fn delayed(self, delay: Duration) -> Self {
        Self::Delayed(delay, Box::new(self))
    }

    /// Streams `pieces` as chat-completion chunks, `gap` apart (the first after `first`),
    /// then a usage chunk and `[DONE]`.
    pub(crate) fn stream(pieces: &[&str], first: Duration, gap: Duration) -> Self {
        let mut events: Vec<(Duration, String)> = pieces
            .iter()
            .enumerate()
            .map(|(index, piece)| {
                let delay = if index == 0 { first } else { gap };
                (delay, chunk(piece, None).to_string())
            })
            .collect();
        events.push((Duration::ZERO, chunk("", Some("stop")).to_string()));
        events.push((
            Duration::ZERO,
            json!({"id": "chatcmpl-test", "object": "chat.completion.chunk", "model": "test-model", "choices": [], "usage": {"prompt_tokens": 10, "completion_tokens": pieces.len()}}).to_string(),
        ));
        Self::Stream { events, cut: false }
    }

    /// Streams the first `pieces` and then drops the connection without `[DONE]`.
    pub(crate) fn stream_cut(pieces: &[&str]) -> Self {
        let events = pieces
            .iter()
            .map(|piece| (Duration::ZERO, chunk(piece, None).to_string()))
            .collect();
        Self::Stream { events, cut: true }
    }
}

/// Builds one streamed chat-completion chunk.
fn chunk(content: &str, finish_reason: Option<&str>) -> Value {
    json!({
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "model": "test-model",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish_reason}]
    })
}

/// Builds the Anthropic Messages body for an answer.
pub(crate) fn anthropic_message(text: &str) -> Value {
    json!({
        "id": "msg_test",
        "type": "message",
        "role": "assistant",
        "model": "claude-test",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 21, "output_tokens": 4}
    })
}

/// Builds the chat-completions body for an answer.
pub(crate) fn completion(text: &str) -> Value {
    json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "model": "test-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    })
}

type Responder = dyn Fn(&Recorded, usize) -> Reply + Send + Sync;

struct Shared {
    requests: Mutex<Vec<Recorded>>,
    responder: Box<Responder>,
    /// Told of every request that arrives.
    arrived: tokio::sync::watch::Sender<usize>,
}

/// A running mock server; stops when dropped.
pub(crate) struct MockServer {
    address: SocketAddr,
    shared: Arc<Shared>,
    _runtime: tokio::runtime::Runtime,
}

impl MockServer {
    /// Starts a server whose answers come from `responder`.
    pub(crate) fn start(
        responder: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static,
    ) -> Self {
        Self::start_on("127.0.0.1", responder)
    }

    /// Starts a server on another loopback address (like `127.0.0.2`: another host to a
    /// client), whose answers come from `responder`.
    pub(crate) fn start_on(
        ip: &str,
        responder: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let shared = Arc::new(Shared {
            requests: Mutex::new(Vec::new()),
            responder: Box::new(responder),
            arrived: tokio::sync::watch::Sender::new(0),
        });
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind((ip, 0)))
            .unwrap();
        let address = listener.local_addr().unwrap();
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        runtime.spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            address,
            shared,
            _runtime: runtime,
        }
    }

    /// Starts a server whose responder sees each request with its 0-based attempt number for
    /// that case (requests are told apart by their last user message), to script retries.
    pub(crate) fn per_case(
        responder: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let attempts = Mutex::new(std::collections::HashMap::<String, usize>::new());
        Self::start(move |request, _| {
            let attempt = {
                let mut attempts = attempts.lock().unwrap();
                let count = attempts.entry(request.last_user()).or_default();
                *count += 1;
                *count - 1
            };
            responder(request, attempt)
        })
    }

    /// Starts a server that answers every request with `text`.
    pub(crate) fn always(text: &str) -> Self {
        let text = text.to_owned();
        Self::start(move |_, _| Reply::answer(text.clone()))
    }

    /// Returns the base URL, like `http://127.0.0.1:PORT/v1`.
    pub(crate) fn base_url(&self) -> String {
        format!("http://{}/v1", self.address)
    }

    /// Returns the origin, like `http://127.0.0.1:PORT`.
    pub(crate) fn origin(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Returns every request received so far.
    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// Returns how many requests were received.
    pub(crate) fn count(&self) -> usize {
        self.shared.requests.lock().unwrap().len()
    }
}

async fn handle(State(shared): State<Arc<Shared>>, request: axum::extract::Request) -> Response {
    let at = Instant::now();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    let headers = request.headers().clone();
    let bytes = axum::body::to_bytes(request.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let recorded = Recorded {
        path,
        query,
        headers,
        body,
        at,
    };
    let index = {
        let mut requests = shared.requests.lock().unwrap();
        requests.push(recorded.clone());
        requests.len() - 1
    };
    shared.arrived.send_replace(index + 1);
    let reply = (shared.responder)(&recorded, index);
    // The Anthropic Messages endpoint answers in its own shape.
    let anthropic = recorded.path.ends_with("/v1/messages");
    respond(reply, anthropic, shared.arrived.subscribe()).await
}

fn respond(
    reply: Reply,
    anthropic: bool,
    mut arrived: tokio::sync::watch::Receiver<usize>,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Response> + Send>> {
    Box::pin(async move {
        match reply {
            Reply::Answer(text) => Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .body(Body::from(
                    if anthropic {
                        anthropic_message(&text)
                    } else {
                        completion(&text)
                    }
                    .to_string(),
                ))
                .unwrap(),
            Reply::Raw {
                status,
                headers,
                body,
            } => {
                let mut builder = Response::builder().status(StatusCode::from_u16(status).unwrap());
                for (name, value) in headers {
                    builder = builder.header(name, value);
                }
                builder.body(Body::from(body)).unwrap()
            }
            Reply::Delayed(delay, inner) => {
                tokio::time::sleep(delay).await;
                respond(*inner, anthropic, arrived).await
            }
            Reply::AfterArrivals(count, inner) => {
                let _ = arrived.wait_for(|arrived| *arrived >= count).await;
                respond(*inner, anthropic, arrived).await
            }
            Reply::Drop => {
                let chunks: Vec<Result<&'static str, std::io::Error>> = vec![
                    Ok("{\"choices\": ["),
                    Err(std::io::Error::other("connection dropped")),
                ];
                Response::builder()
                    .status(200)
                    .header("content-type", "application/json")
                    .header("content-length", "1000")
                    .body(Body::from_stream(futures_stream(chunks)))
                    .unwrap()
            }
            Reply::Stream { events, cut } => Response::builder()
                .status(200)
                .header("content-type", "text/event-stream")
                .body(Body::from_stream(sse_stream(events, cut)))
                .unwrap(),
            Reply::Flood(flood) => Response::builder()
                .status(StatusCode::from_u16(flood.status).unwrap())
                .header("content-type", flood.content_type)
                .body(Body::from_stream(flood_stream(flood)))
                .unwrap(),
        }
    })
}

fn sse_stream(
    events: Vec<(Duration, String)>,
    cut: bool,
) -> impl futures::Stream<Item = Result<String, std::io::Error>> {
    let events: std::collections::VecDeque<_> = events.into();
    futures::stream::unfold((events, false), move |(mut events, ended)| async move {
        if ended {
            return None;
        }
        match events.pop_front() {
            Some((delay, data)) => {
                tokio::time::sleep(delay).await;
                Some((Ok(format!("data: {data}\n\n")), (events, false)))
            }
            None if cut => Some((
                Err(std::io::Error::other("connection dropped")),
                (events, true),
            )),
            None => Some((Ok("data: [DONE]\n\n".to_owned()), (events, true))),
        }
    })
}

fn flood_stream(flood: Flood) -> impl futures::Stream<Item = Result<String, std::io::Error>> {
    let Flood {
        head,
        filler,
        bytes,
        hang,
        sent,
        ..
    } = flood;
    futures::stream::unfold((Some(head), 0usize), move |(head, produced)| {
        let (filler, sent) = (filler.clone(), Arc::clone(&sent));
        async move {
            let chunk = match head {
                Some(head) => head,
                None if produced >= bytes => {
                    if hang {
                        std::future::pending::<()>().await;
                    }
                    return None;
                }
                None => filler,
            };
            sent.fetch_add(chunk.len(), Ordering::Relaxed);
            let produced = produced + chunk.len();
            Some((Ok(chunk), (None, produced)))
        }
    })
}

fn futures_stream(
    chunks: Vec<Result<&'static str, std::io::Error>>,
) -> impl futures::Stream<Item = Result<&'static str, std::io::Error>> {
    futures::stream::iter(chunks)
}
