/**
 * A local HTTP server speaking the few GitHub REST endpoints fedeval uses, with fault injection:
 *
 *   GET   /user                                   the token's login
 *   GET   /repos/:o/:r/pulls?head=o:branch&state=open
 *   POST  /repos/:o/:r/pulls                      422 when an open pull request has the same head
 *   PATCH /repos/:o/:r/pulls/:n
 *   POST  /repos/:o/:r/issues/:n/labels
 *   POST  /repos/:o/:r/issues/:n/comments
 *   GET   /orgs/:org/teams/:team/memberships/:user   from `teams` (404 when not a member)
 *   any   .../info/refs                           401 with WWW-Authenticate (git over HTTP without credentials)
 *
 * Faults are queued per method and path pattern: a status with headers and body, or a closed socket.
 * Also a CONNECT proxy that records what it tunnels to, for the proxy test.
 *
 * Every request and every answer is checked against GitHub's OpenAPI description
 * (github-contract.ts). A request GitHub would not accept is answered 422 and recorded in
 * `violations`, as is an answer of this server that GitHub's contract does not allow; `close()`
 * fails while any is recorded, so a test that drifts from GitHub fails. Answers are GitHub's own
 * examples from the description with this server's values in them. Injected faults and the
 * statuses GitHub may give any request (bad credentials, rate limits, server errors) are not
 * checked against the operation.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";
import { githubContract, githubExample } from "./github-contract.ts";

const DOCS = "https://docs.github.com/rest";

/** Statuses GitHub may answer any operation with: bad credentials, rate limits, server errors. */
const ANY_OPERATION = new Set([401, 403, 429, 500, 502, 503, 504]);

export type Fault = { status: number; headers?: Record<string, string>; body?: unknown } | { close: true };

export interface Pull {
  number: number;
  /** The branch, and the owner of the repository it is in (this repository's, or a fork's). */
  head: string;
  headOwner: string;
  base: string;
  title: string;
  body: string;
  state: "open" | "closed";
  labels: string[];
  comments: string[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
  authorization?: string;
  userAgent?: string;
}

export interface FakeGitHub {
  apiUrl: string;
  token: string;
  pulls: Pull[];
  requests: RecordedRequest[];
  /** Requests and answers outside GitHub's published contract. */
  violations: string[];
  /** Answers the next `times` requests matching `method` and `path` with `fault`. */
  fail(method: string, path: RegExp, fault: Fault, times?: number): void;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? JSON.parse(text) : undefined;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
  );
}

function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function startFakeGitHub(
  opts: {
    owner?: string;
    repo?: string;
    login?: string;
    token?: string;
    /** Members by team (`org/team`). */
    teams?: Record<string, string[]>;
  } = {},
): Promise<FakeGitHub> {
  const owner = opts.owner ?? "demo-org";
  const repo = opts.repo ?? "governance";
  const token = opts.token ?? "test-token";
  const pulls: Pull[] = [];
  const requests: RecordedRequest[] = [];
  const violations: string[] = [];
  const contract = githubContract();
  const faults: { method: string; path: RegExp; fault: Fault; left: number }[] = [];
  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
    res.end(JSON.stringify(body));
  };
  const label = (name: string) => ({ ...githubExample<Record<string, unknown>[]>("label-items")[0], name });
  const pullJson = <T extends Record<string, unknown>>(p: Pull, example: T) => {
    const shape = example as T & { head: Record<string, unknown>; base: Record<string, unknown> };
    return {
      ...shape,
      number: p.number,
      url: `https://api.github.example/repos/${owner}/${repo}/pulls/${p.number}`,
      html_url: `https://github.example/${owner}/${repo}/pull/${p.number}`,
      title: p.title,
      body: p.body,
      state: p.state,
      head: { ...shape.head, ref: p.head, label: `${p.headOwner}:${p.head}` },
      base: { ...shape.base, ref: p.base },
      labels: p.labels.map(label),
      // fedeval asks for no reviewers (GitHub's example lists teams without their required `type`)
      requested_reviewers: [],
      requested_teams: [],
    };
  };
  const pullRequest = (p: Pull) => pullJson(p, githubExample("pull-request"));

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const method = req.method ?? "GET";
    if (url.pathname.endsWith("/info/refs")) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="GitHub"' });
      res.end("authentication required");
      return;
    }
    const body = await readBody(req).catch(() => undefined);
    const refused = contract.request(method, url, body);
    violations.push(...refused);
    /** Answers, checking the answer against the contract unless GitHub may give it to any request. */
    const json = (
      res: ServerResponse,
      status: number,
      answer: unknown,
      headers: Record<string, string> = {},
    ) => {
      if (!ANY_OPERATION.has(status)) violations.push(...contract.response(method, url, status, answer));
      send(res, status, answer, headers);
    };
    requests.push({
      method,
      path: `${url.pathname}${url.search}`,
      body,
      authorization: req.headers.authorization,
      userAgent: req.headers["user-agent"],
    });
    const fault = faults.find((f) => f.left > 0 && f.method === method && f.path.test(url.pathname));
    if (fault) {
      fault.left--;
      if ("close" in fault.fault) {
        req.socket.destroy();
        return;
      }
      send(
        res,
        fault.fault.status,
        fault.fault.body ?? { message: `injected ${fault.fault.status}` },
        fault.fault.headers,
      );
      return;
    }
    if (refused.length)
      return send(res, 422, { message: "Validation Failed", errors: refused, documentation_url: DOCS });
    if (req.headers.authorization !== `token ${token}`)
      return json(res, 401, { message: "Bad credentials", documentation_url: DOCS });
    const base = `/repos/${owner}/${repo}`;
    const membership = /^\/orgs\/([^/]+)\/teams\/([^/]+)\/memberships\/([^/]+)$/.exec(url.pathname);
    if (method === "GET" && membership) {
      const [, org, team, user] = membership as unknown as [string, string, string, string];
      return opts.teams?.[`${org}/${team}`]?.includes(user)
        ? json(res, 200, {
            ...githubExample("team-membership-response-if-user-is-a-team-maintainer"),
            state: "active",
            role: "member",
          })
        : json(res, 404, { message: "Not Found", documentation_url: DOCS });
    }
    if (method === "GET" && url.pathname === "/user")
      return json(res, 200, {
        ...githubExample("private-user-response-with-public-and-private-profile-information"),
        login: opts.login ?? "test-user",
      });
    if (url.pathname === `${base}/pulls`) {
      if (method === "GET") {
        const head = url.searchParams.get("head");
        const state = url.searchParams.get("state") ?? "open";
        return json(
          res,
          200,
          pulls
            .filter(
              (p) => (!head || `${p.headOwner}:${p.head}` === head) && (state === "all" || p.state === state),
            )
            .map((p) =>
              pullJson(p, githubExample<Record<string, unknown>[]>("pull-request-simple-items")[0] ?? {}),
            ),
        );
      }
      if (method === "POST") {
        const b = body as { head: string; base: string; title: string; body?: string };
        // `fork-owner:branch` from a fork, a plain branch name from this repository
        const [headOwner, head] = b.head.includes(":")
          ? (b.head.split(":", 2) as [string, string])
          : [owner, b.head];
        if (pulls.some((p) => p.head === head && p.headOwner === headOwner && p.state === "open")) {
          return json(res, 422, {
            message: "Validation Failed",
            documentation_url: DOCS,
            errors: [
              {
                resource: "PullRequest",
                code: "custom",
                message: `A pull request already exists for ${headOwner}:${head}.`,
              },
            ],
          });
        }
        const p: Pull = {
          number: pulls.length + 1,
          head,
          headOwner,
          base: b.base,
          title: b.title,
          body: b.body ?? "",
          state: "open",
          labels: [],
          comments: [],
        };
        pulls.push(p);
        return json(res, 201, pullRequest(p));
      }
    }
    const pull = /^\/repos\/[^/]+\/[^/]+\/(?:pulls|issues)\/(\d+)(\/labels|\/comments)?$/.exec(url.pathname);
    const p = pull ? pulls.find((x) => x.number === Number(pull[1])) : undefined;
    if (pull && p) {
      if (method === "PATCH" && !pull[2]) {
        Object.assign(p, body as Partial<Pull>);
        return json(res, 200, pullRequest(p));
      }
      if (method === "POST" && pull[2] === "/labels") {
        for (const l of (body as { labels: string[] }).labels) if (!p.labels.includes(l)) p.labels.push(l);
        return json(res, 200, p.labels.map(label));
      }
      if (method === "POST" && pull[2] === "/comments") {
        p.comments.push((body as { body: string }).body);
        return json(res, 201, {
          ...githubExample("issue-comment"),
          id: p.comments.length,
          body: (body as { body: string }).body,
        });
      }
    }
    json(res, 404, { message: "Not Found", documentation_url: DOCS });
  });
  const port = await listen(server);
  return {
    apiUrl: `http://127.0.0.1:${port}`,
    token,
    pulls,
    requests,
    violations,
    fail(method, path, fault, times = 1) {
      faults.push({ method, path, fault, left: times });
    },
    close: async () => {
      await stop(server);
      if (violations.length)
        throw new Error(
          `outside GitHub's REST contract:\n${[...new Set(violations)].map((v) => `  ${v}`).join("\n")}`,
        );
    },
  };
}

/** An HTTP proxy that tunnels CONNECT requests and records their targets. */
export async function startConnectProxy(): Promise<{
  url: string;
  tunnels: string[];
  close(): Promise<void>;
}> {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((_req, res) => {
    res.writeHead(405);
    res.end();
  });
  server.on("connect", (req: IncomingMessage, client: Socket, head: Buffer) => {
    const target = req.url ?? "";
    tunnels.push(target);
    const [host, port] = target.split(":");
    const upstream = connect(Number(port), host as string, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => s.destroy());
    }
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    close: () => {
      for (const s of sockets) s.destroy();
      return stop(server);
    },
  };
}
