#!/usr/bin/env node
// A minimal OpenAI-compatible chat-completions server around node-llama-cpp,
// used to run promptci end to end against a real (tiny) model on a CPU-only
// machine that can reach nothing but the package registries.
//
// Endpoints:
//   POST /v1/chat/completions   non-streaming chat completions; `response_format`
//                               json_object / json_schema constrain the answer
//                               with a llama.cpp grammar
//   POST /v1/embeddings         embeddings from the same model (llama.cpp's
//                               pooled hidden state; see handleEmbeddings)
//   GET  /v1/models             the single loaded model
//   GET  /health                200 once the model is loaded, 503 before
//
// Configuration (flags win over environment variables):
//   --port N        PROMPTCI_REAL_PORT   default 8088; 0 picks a free port
//   --model PATH    PROMPTCI_REAL_MODEL  default models/SmolLM2-135M-Instruct.Q4_1.gguf
//                                        (inside PROMPTCI_REAL_MODEL_DIR if set)
//   --threads N     PROMPTCI_REAL_THREADS  default 1 (see below)
//   --ctx N         PROMPTCI_REAL_CTX    context size in tokens, default 2048
//
// stdout carries exactly one line, `listening on http://127.0.0.1:PORT`, so a
// wrapper script can learn the port when it asked for port 0. Everything else
// (request log, llama.cpp warnings) goes to stderr.

import http from "node:http";
import path from "node:path";
import crypto from "node:crypto";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { getLlama, LlamaChat, JinjaTemplateChatWrapper } from "node-llama-cpp";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf";
const HOST = "127.0.0.1";
const MAX_BODY_BYTES = 1024 * 1024;
// Tiny models can loop forever without an end-of-turn token; a request that
// does not say `max_tokens` must still finish, so cap it.
const DEFAULT_MAX_TOKENS = 256;

const { values: flags } = parseArgs({
    options: {
        port: { type: "string" },
        model: { type: "string" },
        threads: { type: "string" },
        ctx: { type: "string" },
    },
});

function intSetting(name, raw, fallback, min) {
    if (raw === undefined || raw === "") return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) {
        console.error(`server: ${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
        process.exit(2);
    }
    return n;
}

const port = intSetting("port", flags.port ?? process.env.PROMPTCI_REAL_PORT, 8088, 0);
// llama.cpp worker threads busy-wait between batches. On a 2-core machine that
// is also running the test harness, a second thread fights the harness for the
// CPU and generation gets 5-20x slower, so one thread is the default.
const threads = intSetting("threads", flags.threads ?? process.env.PROMPTCI_REAL_THREADS, 1, 1);
const contextSize = intSetting("ctx", flags.ctx ?? process.env.PROMPTCI_REAL_CTX, 2048, 256);
const modelPath = path.resolve(
    flags.model ?? process.env.PROMPTCI_REAL_MODEL
        ?? path.join(process.env.PROMPTCI_REAL_MODEL_DIR ?? path.join(HERE, "models"), MODEL_FILE),
);
const modelId = path.basename(modelPath).replace(/\.gguf$/i, "");
const createdAt = Math.floor(Date.now() / 1000);

// Filled in once the model has loaded; /health and the completions endpoint
// answer 503 until then.
let engine = null;

// ---------------------------------------------------------------------------
// Errors and responses

class ApiError extends Error {
    constructor(status, message, { type = "invalid_request_error", param = null, code = null } = {}) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }
}

function sendJson(res, status, body) {
    const text = JSON.stringify(body);
    res.writeHead(status, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(text),
    });
    res.end(text);
}

function sendError(res, err) {
    const status = err.status ?? 500;
    sendJson(res, status, {
        error: {
            message: err.message,
            type: err.type ?? "server_error",
            param: err.param ?? null,
            code: err.code ?? null,
        },
    });
}

function readBody(req) {
    return new Promise((resolve, reject) => {
        const chunks = [];
        let size = 0;
        req.on("data", (chunk) => {
            size += chunk.length;
            if (size > MAX_BODY_BYTES) {
                reject(new ApiError(413, `request body larger than ${MAX_BODY_BYTES} bytes`));
                req.destroy();
                return;
            }
            chunks.push(chunk);
        });
        req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        req.on("error", reject);
    });
}

// ---------------------------------------------------------------------------
// Request validation: turn an OpenAI request body into generation options, or
// throw a 400 that names the offending parameter.

function bad(message, param) {
    return new ApiError(400, message, { param });
}

// OpenAI allows `content` to be a string or an array of parts; only text parts
// mean anything to a text-only model.
function messageText(content, index) {
    const param = `messages[${index}].content`;
    if (typeof content === "string") return content;
    if (Array.isArray(content)) {
        return content.map((part, j) => {
            if (part?.type !== "text" || typeof part.text !== "string") {
                throw bad(`${param}[${j}] must be a text part ({"type": "text", "text": "..."})`, param);
            }
            return part.text;
        }).join("");
    }
    throw bad(`${param} must be a string or an array of text parts`, param);
}

function toChatHistory(messages) {
    if (!Array.isArray(messages) || messages.length === 0) {
        throw bad("'messages' must be a non-empty array", "messages");
    }
    const history = messages.map((m, i) => {
        if (m === null || typeof m !== "object") throw bad(`messages[${i}] must be an object`, "messages");
        const text = messageText(m.content, i);
        switch (m.role) {
            case "system":
            case "developer": // newer OpenAI clients send system prompts under this name
                return { type: "system", text };
            case "user":
                return { type: "user", text };
            case "assistant":
                return { type: "model", response: [text] };
            default:
                throw bad(`messages[${i}].role must be one of system, developer, user, assistant; got ${JSON.stringify(m.role)}`, `messages[${i}].role`);
        }
    });
    // Continuing a partial assistant message is not part of the OpenAI API, and
    // silently doing so would make the reply mean something else.
    if (history.at(-1).type !== "user") {
        throw bad("the last message must have role 'user'", "messages");
    }
    // The empty model turn is where the generated answer goes.
    history.push({ type: "model", response: [] });
    return history;
}

function optNumber(body, name, { min, max, integer = false }) {
    const v = body[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "number" || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max) {
        throw bad(`'${name}' must be ${integer ? "an integer" : "a number"} between ${min} and ${max}`, name);
    }
    return v;
}

function parseRequest(body) {
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
        throw bad("request body must be a JSON object", null);
    }
    if (body.stream === true) throw bad("'stream' is not supported by this server", "stream");
    if (body.n !== undefined && body.n !== null && body.n !== 1) throw bad("only 'n': 1 is supported", "n");
    if (body.model !== undefined && typeof body.model !== "string") throw bad("'model' must be a string", "model");

    const history = toChatHistory(body.messages);
    const temperature = optNumber(body, "temperature", { min: 0, max: 2 });
    const topP = optNumber(body, "top_p", { min: 0, max: 1 });
    const seed = optNumber(body, "seed", { min: -(2 ** 53), max: 2 ** 53, integer: true });
    const presencePenalty = optNumber(body, "presence_penalty", { min: -2, max: 2 });
    const frequencyPenalty = optNumber(body, "frequency_penalty", { min: -2, max: 2 });
    // `max_completion_tokens` is the newer name for the same limit.
    const maxTokensName = body.max_completion_tokens != null ? "max_completion_tokens" : "max_tokens";
    const maxTokens = optNumber(body, maxTokensName, { min: 1, max: contextSize, integer: true }) ?? DEFAULT_MAX_TOKENS;

    let stop = body.stop ?? [];
    if (typeof stop === "string") stop = [stop];
    if (!Array.isArray(stop) || stop.length > 4 || stop.some((s) => typeof s !== "string" || s === "")) {
        throw bad("'stop' must be a non-empty string or an array of at most 4 non-empty strings", "stop");
    }

    return {
        history,
        responseFormat: parseResponseFormat(body.response_format),
        maxTokens,
        // OpenAI's default temperature is 1; keep that so an unset value means
        // the same thing here as against the real API.
        temperature: temperature ?? 1,
        topP,
        // The sampler ignores the seed at temperature 0 (greedy decoding); a
        // negative seed has no meaning to llama.cpp, so fold it to unsigned.
        seed: seed === undefined ? undefined : Math.abs(seed) % 2 ** 32,
        presencePenalty,
        frequencyPenalty,
        stop,
    };
}

// `response_format` as OpenAI defines it: `text` (or absent) leaves the answer
// free, `json_object` asks for any JSON object, `json_schema` for one matching
// `json_schema.schema`. Both JSON kinds become a grammar that constrains
// sampling, which is how llama.cpp servers implement them.
function parseResponseFormat(format) {
    if (format === undefined || format === null) return { type: "text" };
    if (typeof format !== "object" || Array.isArray(format)) {
        throw bad("'response_format' must be an object", "response_format");
    }
    switch (format.type) {
        case "text":
        case "json_object":
            return { type: format.type };
        case "json_schema": {
            const schema = format.json_schema?.schema;
            if (schema === null || typeof schema !== "object" || Array.isArray(schema)) {
                throw bad("'response_format.json_schema.schema' must be a JSON schema object", "response_format");
            }
            return { type: "json_schema", schema };
        }
        default:
            throw bad(`'response_format.type' must be text, json_object or json_schema; got ${JSON.stringify(format.type)}`, "response_format");
    }
}

// Grammars are compiled once per distinct format: a suite sends the same one
// for every judge request.
const grammars = new Map();
async function grammarFor(format) {
    if (format.type === "text") return undefined;
    const key = JSON.stringify(format);
    if (!grammars.has(key)) {
        const { llama } = engine;
        grammars.set(key, format.type === "json_object"
            ? llama.getGrammarFor("json")
            : llama.createGrammarForJsonSchema(format.schema).catch((err) => {
                grammars.delete(key);
                throw bad(`'response_format.json_schema.schema' is not supported: ${err.message}`, "response_format");
            }));
    }
    return grammars.get(key);
}

// ---------------------------------------------------------------------------
// Generation

// The single context sequence can run only one generation at a time, so
// requests wait their turn on this promise chain.
let queue = Promise.resolve();
function serialized(task) {
    const run = queue.then(task, task);
    queue = run.catch(() => {});
    return run;
}

async function complete(req, signal) {
    const { model, context, chatWrapper } = engine;
    // A fresh sequence (and chat) per request: nothing evaluated for one
    // request can influence the next, so answers do not depend on order.
    const sequence = context.getSequence();
    const chat = new LlamaChat({ contextSequence: sequence, chatWrapper });
    try {
        const promptTokens = chatWrapper
            .generateContextState({ chatHistory: req.history })
            .contextText.tokenize(model.tokenizer).length;
        if (promptTokens + req.maxTokens > context.contextSize) {
            throw new ApiError(400,
                `prompt (${promptTokens} tokens) plus max_tokens (${req.maxTokens}) exceeds the context size (${context.contextSize})`,
                { param: "messages", code: "context_length_exceeded" });
        }

        let completionTokens = 0;
        const grammar = await grammarFor(req.responseFormat);
        const result = await chat.generateResponse(req.history, {
            grammar,
            maxTokens: req.maxTokens,
            temperature: req.temperature,
            topP: req.topP,
            seed: req.seed,
            repeatPenalty: (req.presencePenalty || req.frequencyPenalty)
                ? { presencePenalty: req.presencePenalty, frequencyPenalty: req.frequencyPenalty }
                : false,
            customStopTriggers: req.stop.length > 0 ? req.stop : undefined,
            onToken: (tokens) => { completionTokens += tokens.length; },
            signal,
            stopOnAbortSignal: true,
        });
        const stopReason = result.metadata.stopReason;
        return {
            content: result.response,
            finishReason: stopReason === "maxTokens" ? "length" : "stop",
            stopReason,
            promptTokens,
            completionTokens,
        };
    } finally {
        chat.dispose();
        sequence.dispose();
    }
}

async function handleChatCompletions(httpReq, res) {
    if (engine === null) throw new ApiError(503, "model is still loading", { type: "server_error" });

    let body;
    try {
        body = JSON.parse(await readBody(httpReq));
    } catch (err) {
        if (err instanceof ApiError) throw err;
        throw bad(`request body is not valid JSON: ${err.message}`, null);
    }
    const req = parseRequest(body);

    // If the client goes away while queued or generating, stop spending CPU on it.
    const abort = new AbortController();
    res.on("close", () => { if (!res.writableFinished) abort.abort(); });

    const started = Date.now();
    const out = await serialized(() => {
        if (abort.signal.aborted) return null;
        return complete(req, abort.signal);
    });
    if (out === null || abort.signal.aborted) {
        console.error(`server: client went away after ${Date.now() - started} ms; request dropped`);
        return;
    }

    const ms = Date.now() - started;
    console.error(`server: ${out.promptTokens}+${out.completionTokens} tokens, ${out.stopReason}, ${ms} ms`);
    sendJson(res, 200, {
        id: `chatcmpl-${crypto.randomUUID()}`,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: modelId,
        choices: [{
            index: 0,
            message: { role: "assistant", content: out.content },
            logprobs: null,
            finish_reason: out.finishReason,
        }],
        usage: {
            prompt_tokens: out.promptTokens,
            completion_tokens: out.completionTokens,
            total_tokens: out.promptTokens + out.completionTokens,
        },
    });
}

// Embeddings from the chat model itself: no second download, and the same
// file the CI stage already verifies. llama.cpp pools the model's hidden
// state; for a 135M decoder-only model that measures surface form more than
// meaning (paraphrases ~0.92-0.97, unrelated sentences ~0.6-0.8), which is
// enough for a coarse similarity check and nothing subtler.
async function handleEmbeddings(httpReq, res) {
    if (engine === null) throw new ApiError(503, "model is still loading", { type: "server_error" });
    let body;
    try {
        body = JSON.parse(await readBody(httpReq));
    } catch (err) {
        if (err instanceof ApiError) throw err;
        throw bad(`request body is not valid JSON: ${err.message}`, null);
    }
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
        throw bad("request body must be a JSON object", null);
    }
    const inputs = typeof body.input === "string" ? [body.input] : body.input;
    if (!Array.isArray(inputs) || inputs.length === 0 || inputs.some((text) => typeof text !== "string" || text === "")) {
        throw bad("'input' must be a non-empty string or a non-empty array of non-empty strings", "input");
    }
    if (body.encoding_format !== undefined && body.encoding_format !== "float") {
        throw bad("only 'encoding_format': 'float' is supported", "encoding_format");
    }
    const started = Date.now();
    const out = await serialized(async () => {
        const embedder = await embeddingContext();
        const data = [];
        let tokens = 0;
        for (const [index, text] of inputs.entries()) {
            const length = embedder.calculateInputLength(text);
            if (length > EMBEDDING_CONTEXT) {
                throw new ApiError(400, `input[${index}] has ${length} tokens, more than the model's context`, { param: "input" });
            }
            tokens += length;
            const embedding = await embedder.getEmbeddingFor(text);
            data.push({ object: "embedding", index, embedding: Array.from(embedding.vector) });
        }
        return { data, tokens };
    });
    console.error(`server: embedded ${inputs.length} input(s), ${out.tokens} tokens, ${Date.now() - started} ms`);
    sendJson(res, 200, {
        object: "list",
        model: modelId,
        data: out.data,
        usage: { prompt_tokens: out.tokens, total_tokens: out.tokens },
    });
}

// The embedding context is made on the first embeddings request, so a server
// that is only asked for chat pays nothing for it.
const EMBEDDING_CONTEXT = Math.min(contextSize, 512);
let embedderPromise = null;
function embeddingContext() {
    embedderPromise ??= engine.model.createEmbeddingContext({ contextSize: EMBEDDING_CONTEXT, threads });
    return embedderPromise;
}

const routes = {
    "/health": {
        GET: (_req, res) => engine === null
            ? sendJson(res, 503, { status: "loading" })
            : sendJson(res, 200, { status: "ok", model: modelId }),
    },
    "/v1/models": {
        GET: (_req, res) => sendJson(res, 200, {
            object: "list",
            data: [{ id: modelId, object: "model", created: createdAt, owned_by: "local" }],
        }),
    },
    "/v1/chat/completions": { POST: handleChatCompletions },
    "/v1/embeddings": { POST: handleEmbeddings },
};

const server = http.createServer(async (req, res) => {
    try {
        const pathname = new URL(req.url, "http://localhost").pathname.replace(/\/+$/, "") || "/";
        const route = routes[pathname];
        if (!route) throw new ApiError(404, `no route for ${req.method} ${pathname}`, { code: "not_found" });
        const handler = route[req.method];
        if (!handler) throw new ApiError(405, `method ${req.method} not allowed on ${pathname}`);
        await handler(req, res);
    } catch (err) {
        if (!(err instanceof ApiError)) console.error("server: internal error:", err);
        if (!res.headersSent && !res.destroyed) sendError(res, err);
    }
});

// ---------------------------------------------------------------------------
// Startup and shutdown

let shuttingDown = false;
async function shutdown(signalName) {
    if (shuttingDown) return;
    shuttingDown = true;
    console.error(`server: ${signalName}, shutting down`);
    server.close();
    server.closeAllConnections();
    // Native teardown can stall behind a generation in flight; do not let it
    // keep the process (and the wrapper's trap) waiting.
    setTimeout(() => process.exit(0), 2000).unref();
    try {
        await engine?.llama.dispose();
    } finally {
        process.exit(0);
    }
}
process.on("SIGINT", () => shutdown("SIGINT"));
process.on("SIGTERM", () => shutdown("SIGTERM"));

// Listen before loading so a supervisor can tell "still loading" (503) apart
// from "not started" (connection refused).
server.listen(port, HOST, () => {
    console.log(`listening on http://${HOST}:${server.address().port}`);
});
server.on("error", (err) => {
    console.error(`server: cannot listen on ${HOST}:${port}: ${err.message}`);
    process.exit(1);
});

try {
    const loadStart = Date.now();
    // gpu:false and build:"never" make getLlama use the prebuilt CPU binary
    // from @node-llama-cpp/linux-x64 and fail instead of trying to download or
    // compile llama.cpp, which the registry-only network could not do anyway.
    const llama = await getLlama({ gpu: false, build: "never", maxThreads: threads, logLevel: "error" });
    const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
    const context = await model.createContext({ contextSize, sequences: 1, threads });
    // Render prompts with the chat template shipped inside the GGUF. The
    // generic ChatML wrapper that "auto" picks for this model prepends a BOS
    // token that is itself <|im_start|>, doubling it, and the 135M model then
    // answers noticeably worse.
    const template = model.fileInfo.metadata?.tokenizer?.chat_template;
    if (typeof template !== "string") throw new Error(`${modelPath} has no tokenizer.chat_template`);
    const chatWrapper = new JinjaTemplateChatWrapper({ template });
    engine = { llama, model, context, chatWrapper };
    console.error(`server: loaded ${modelId} in ${Date.now() - loadStart} ms (threads=${threads}, ctx=${context.contextSize})`);
} catch (err) {
    console.error(`server: failed to load model ${modelPath}: ${err.message}`);
    process.exit(1);
}
