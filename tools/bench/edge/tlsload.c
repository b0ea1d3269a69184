// tlsload: a bounded HTTP/1.1-over-TLS load generator for the edge benchmark.
//
// One thread, epoll, non-blocking OpenSSL, so that the generator costs far less CPU than the
// server it measures. Three modes:
//   handshake  every request on a new connection: a full TLS handshake (tickets and session
//              caching off), client certificate if given, one GET, close;
//   keepalive  --conns connections, each sending --per-conn requests in sequence;
//   idle       opens --conns connections, --concurrency at a time, each sending one GET and
//              then staying open and silent; once all are idle it prints its JSON line, then
//              holds them until stdin closes or --hold seconds pass.
// Closed loop by default (each connection sends as soon as its answer is in); with --rate R,
// requests start on a fixed schedule of R per second over the free connections, and latency is
// measured from the scheduled start (so a stalled server cannot hide its queue).
// Response bodies of any size are read and discarded (Content-Length framing).
// --sources N spreads connections over the source addresses 127.0.0.1 .. 127.0.0.N.
// It stops after --seconds or --max-requests, whichever comes first, and prints one JSON line:
// completed requests, errors, wall seconds, its own CPU seconds, a count per status code, the
// body bytes received and latency percentiles (milliseconds).
//
// Build: cc -O2 -o tlsload tlsload.c -lssl -lcrypto   (tools/bench/edge/main.ts does this)

#define _GNU_SOURCE  // strcasestr
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum state { CONNECTING, HANDSHAKING, WRITING, READING, WAITING };

struct conn {
  int index, fd;
  SSL *ssl;
  enum state state;
  int sent_on_conn;
  double start;  // when the current request started (or was scheduled to)
  char buf[16384];
  size_t have;      // bytes in buf (the head, until it is parsed)
  long received;    // bytes of the current response so far
  long total;       // its full length once the head is parsed, else 0
  long body;        // its body length (Content-Length)
  int status;
  size_t wrote;
};

static struct {
  const char *host, *sni, *cert, *key, *path, *mode;
  int port, conns, per_conn, seconds, max_requests, concurrency, hold, sources;
  double rate;
} opt = {"127.0.0.1", NULL, NULL, NULL, "/", "handshake", 0, 8, 100, 5, 0, 32, 60, 1, 0};

static SSL_CTX *ctx;
static int epfd;
static char request[1024];
static size_t request_len;
static long completed, errors, statuses[600], body_bytes;
static int keepalive, idle_mode;
static double *latencies;  // seconds, one per completed request
static long latency_cap;
// Rate mode: connections waiting for their next scheduled start, and when that is.
static struct conn **waiting;
static int waiting_count;
static double next_due;
// Idle mode: connections opened so far and connections done with their one request.
static int opened, parked;
static struct conn *conns;

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void watch(struct conn *c, uint32_t events, int op) {
  struct epoll_event ev = {.events = events, .data.ptr = c};
  if (epoll_ctl(epfd, op, c->fd, &ev) != 0) {
    perror("epoll_ctl");
    exit(2);
  }
}

static void open_conn(struct conn *c) {
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(opt.port)};
  if (inet_pton(AF_INET, opt.host, &addr.sin_addr) != 1) {
    fprintf(stderr, "tlsload: --host must be an IPv4 address\n");
    exit(2);
  }
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (c->fd < 0) {
    perror("socket");
    exit(2);
  }
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (opt.sources > 1) {
    // Another loopback source address per connection in turn: ephemeral ports are per address.
    struct sockaddr_in from = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001 + (uint32_t)(c->index % opt.sources))};
    setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    if (bind(c->fd, (struct sockaddr *)&from, sizeof from) != 0) {
      perror("bind");
      exit(2);
    }
  }
  c->ssl = NULL;
  c->state = CONNECTING;
  c->sent_on_conn = 0;
  c->have = c->wrote = 0;
  c->received = c->total = 0;
  if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) != 0 && errno != EINPROGRESS) {
    perror("connect");
    exit(2);
  }
  watch(c, EPOLLOUT, EPOLL_CTL_ADD);
}

static void close_conn(struct conn *c) {
  epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
  if (c->ssl) SSL_free(c->ssl);
  close(c->fd);
  c->fd = -1;
}

static void step(struct conn *c);

/** Starts the connection's next request at `start`: a new connection, or a write on this one. */
static void begin(struct conn *c, double start) {
  c->start = start;
  if (c->fd < 0) return open_conn(c);
  c->state = WRITING;
  c->wrote = 0;
  step(c);
}

/** The connection is free for its next request: now, or (rate mode) when the schedule says. */
static void ready(struct conn *c) {
  if (opt.rate <= 0) return begin(c, now_seconds());
  if (c->fd >= 0) {
    // Edge-triggered and no events asked for: a close while waiting shows once, at the next write.
    c->state = WAITING;
    watch(c, EPOLLET, EPOLL_CTL_MOD);
  }
  waiting[waiting_count++] = c;
}

static void fail(struct conn *c) {
  errors++;
  ERR_clear_error();
  close_conn(c);
  if (keepalive) open_conn(c);  // its next request waits for the new handshake
  else ready(c);
}

static void record(struct conn *c) {
  completed++;
  if (c->status > 0 && c->status < 600) statuses[c->status]++;
  body_bytes += c->body;
  if (completed > latency_cap) {
    latency_cap = latency_cap ? latency_cap * 2 : 65536;
    latencies = realloc(latencies, (size_t)latency_cap * sizeof *latencies);
    if (!latencies) exit(2);
  }
  latencies[completed - 1] = now_seconds() - c->start;
}

/** Waits for whatever OpenSSL asked for; returns 0 when the operation must be retried later. */
static int want(struct conn *c, int ret) {
  int e = SSL_get_error(c->ssl, ret);
  if (e == SSL_ERROR_WANT_READ) return watch(c, EPOLLIN, EPOLL_CTL_MOD), 0;
  if (e == SSL_ERROR_WANT_WRITE) return watch(c, EPOLLOUT, EPOLL_CTL_MOD), 0;
  return -1;
}

/** Parses the head in c->buf once complete: sets c->status, c->body and c->total; -1 if bad. */
static int parse_head(struct conn *c) {
  c->buf[c->have] = 0;
  char *end = strstr(c->buf, "\r\n\r\n");
  if (!end) return c->have >= sizeof c->buf - 1 ? -1 : 0;
  if (sscanf(c->buf, "HTTP/1.%*d %d", &c->status) != 1) return -1;
  char *cl = strcasestr(c->buf, "\r\ncontent-length:");
  if (!cl || cl > end) return -1;
  c->body = strtol(cl + 17, NULL, 10);
  c->total = (end - c->buf) + 4 + c->body;
  return 0;
}

/** A response is in: count it, then reuse the connection, close it, or (idle mode) park it. */
static void finished(struct conn *c) {
  record(c);
  c->sent_on_conn++;
  if (idle_mode) {
    // Parked: no more events; the connection stays open until the end of the run.
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    parked++;
    if (opened < opt.conns) open_conn(&conns[opened++]);
    return;
  }
  if (keepalive && c->sent_on_conn < opt.per_conn) return ready(c);
  close_conn(c);
  if (keepalive) open_conn(c);
  else ready(c);
}

static void step(struct conn *c) {
  for (;;) {
    switch (c->state) {
      case CONNECTING: {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) return fail(c);
        c->ssl = SSL_new(ctx);
        SSL_set_fd(c->ssl, c->fd);
        if (opt.sni) SSL_set_tlsext_host_name(c->ssl, opt.sni);
        c->state = HANDSHAKING;
        break;
      }
      case HANDSHAKING: {
        int r = SSL_connect(c->ssl);
        if (r != 1) {
          if (want(c, r) == 0) return;
          return fail(c);
        }
        // A kept-alive connection's requests start once it is up (the handshake is not timed).
        if (keepalive && !idle_mode) return ready(c);
        c->state = WRITING;
        c->wrote = 0;
        break;
      }
      case WRITING: {
        int r = SSL_write(c->ssl, request + c->wrote, (int)(request_len - c->wrote));
        if (r <= 0) {
          if (want(c, r) == 0) return;
          return fail(c);
        }
        c->wrote += r;
        if (c->wrote < request_len) break;
        c->state = READING;
        c->have = 0;
        c->received = c->total = c->body = 0;
        break;
      }
      case READING: {
        // Until the head is parsed, bytes accumulate in buf; after that, body bytes overwrite it.
        size_t at = c->total ? 0 : c->have;
        int r = SSL_read(c->ssl, c->buf + at, (int)(sizeof c->buf - 1 - at));
        if (r <= 0) {
          if (want(c, r) == 0) return;
          return fail(c);
        }
        c->received += r;
        if (!c->total) {
          c->have += r;
          if (parse_head(c) < 0) return fail(c);
          if (!c->total) break;
        }
        if (c->received < c->total) break;
        if (c->received > c->total) return fail(c);  // bytes beyond the answer: nothing was pipelined
        return finished(c);
      }
      case WAITING:
        return;
    }
  }
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/** The latency at quantile q (0..1) of the sorted samples, in milliseconds. */
static double quantile_ms(double q) {
  long i = (long)(q * (completed - 1) + 0.5);
  return latencies[i] * 1e3;
}

/** Parked connections the server has not closed (a 0-byte peek means it has). */
static int still_open(void) {
  int open = 0;
  for (int i = 0; i < opened; i++) {
    char byte;
    if (conns[i].fd >= 0 && recv(conns[i].fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) != 0) open++;
  }
  return open;
}

int main(int argc, char **argv) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *k = argv[i], *v = argv[i + 1];
    if (!strcmp(k, "--host")) opt.host = v;
    else if (!strcmp(k, "--port")) opt.port = atoi(v);
    else if (!strcmp(k, "--sni")) opt.sni = v;
    else if (!strcmp(k, "--cert")) opt.cert = v;
    else if (!strcmp(k, "--key")) opt.key = v;
    else if (!strcmp(k, "--path")) opt.path = v;
    else if (!strcmp(k, "--mode")) opt.mode = v;
    else if (!strcmp(k, "--conns")) opt.conns = atoi(v);
    else if (!strcmp(k, "--per-conn")) opt.per_conn = atoi(v);
    else if (!strcmp(k, "--seconds")) opt.seconds = atoi(v);
    else if (!strcmp(k, "--max-requests")) opt.max_requests = atoi(v);
    else if (!strcmp(k, "--rate")) opt.rate = atof(v);
    else if (!strcmp(k, "--concurrency")) opt.concurrency = atoi(v);
    else if (!strcmp(k, "--hold")) opt.hold = atoi(v);
    else if (!strcmp(k, "--sources")) opt.sources = atoi(v);
    else {
      fprintf(stderr, "tlsload: unknown option %s\n", k);
      return 2;
    }
  }
  if (opt.port <= 0 || opt.conns <= 0 || opt.conns > 20000 || opt.seconds <= 0 || opt.seconds > 600 || opt.concurrency <= 0 ||
      opt.hold < 0 || opt.hold > 600 || opt.sources < 1 || opt.sources > 250 || opt.rate < 0) {
    fprintf(stderr, "tlsload: need --port, 1..20000 --conns, 1..600 --seconds, 0..600 --hold, 1..250 --sources\n");
    return 2;
  }
  keepalive = !strcmp(opt.mode, "keepalive") || !strcmp(opt.mode, "idle");
  idle_mode = !strcmp(opt.mode, "idle");
  if (!keepalive && strcmp(opt.mode, "handshake")) {
    fprintf(stderr, "tlsload: --mode is handshake, keepalive or idle\n");
    return 2;
  }
  // One descriptor per connection: raise the soft limit to the hard one.
  struct rlimit files;
  getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max;
  setrlimit(RLIMIT_NOFILE, &files);
  request_len = (size_t)snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: %s\r\n%s\r\n", opt.path,
                                 opt.sni ? opt.sni : opt.host, keepalive ? "" : "Connection: close\r\n");

  ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  if (opt.cert && (SSL_CTX_use_certificate_chain_file(ctx, opt.cert) != 1 || SSL_CTX_use_PrivateKey_file(ctx, opt.key, SSL_FILETYPE_PEM) != 1)) {
    fprintf(stderr, "tlsload: cannot load --cert/--key\n");
    return 2;
  }

  epfd = epoll_create1(0);
  conns = calloc((size_t)opt.conns, sizeof *conns);
  waiting = calloc((size_t)opt.conns, sizeof *waiting);
  double start = now_seconds(), cpu_start = cpu_seconds(), deadline = start + opt.seconds;
  next_due = start;
  opened = idle_mode && opt.concurrency < opt.conns ? opt.concurrency : opt.conns;
  for (int i = 0; i < opt.conns; i++) {
    conns[i].index = i;
    conns[i].fd = -1;
  }
  for (int i = 0; i < opened; i++) {
    conns[i].start = start;
    if (keepalive) open_conn(&conns[i]);
    else ready(&conns[i]);
  }

  struct epoll_event events[256];
  for (;;) {
    double now = now_seconds();
    if (now >= deadline || (opt.max_requests > 0 && completed >= opt.max_requests) || (idle_mode && parked == opt.conns)) break;
    while (waiting_count > 0 && next_due <= now) {
      begin(waiting[--waiting_count], next_due);
      next_due += 1 / opt.rate;
    }
    // Wake for the next scheduled start (nanosecond timeout: a millisecond would skew latencies).
    double wait = waiting_count > 0 ? next_due - now : 0.1;
    if (wait < 0) wait = 0;
    struct timespec timeout = {.tv_sec = (time_t)wait, .tv_nsec = (long)((wait - (time_t)wait) * 1e9)};
    int n = epoll_pwait2(epfd, events, 256, &timeout, NULL);
    for (int i = 0; i < n; i++) step(events[i].data.ptr);
  }
  double wall = now_seconds() - start, cpu = cpu_seconds() - cpu_start;
  printf("{\"mode\":\"%s\",\"completed\":%ld,\"errors\":%ld,\"seconds\":%.3f,\"cpuSeconds\":%.3f,\"bodyBytes\":%ld,\"statuses\":{", opt.mode,
         completed, errors, wall, cpu, body_bytes);
  int first = 1;
  for (int s = 0; s < 600; s++)
    if (statuses[s]) printf("%s\"%d\":%ld", first ? "" : ",", s, statuses[s]), first = 0;
  printf("}");
  if (idle_mode) printf(",\"open\":%d", still_open());
  if (completed > 0 && !idle_mode) {
    qsort(latencies, (size_t)completed, sizeof *latencies, by_value);
    printf(",\"latencyMs\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f}", quantile_ms(0.5), quantile_ms(0.9),
           quantile_ms(0.99), quantile_ms(0.999), quantile_ms(1));
  }
  printf("}\n");
  fflush(stdout);
  if (idle_mode) {
    // Hold the idle connections while the caller measures, until it closes our stdin.
    struct pollfd in = {.fd = 0, .events = POLLIN};
    char byte;
    while (poll(&in, 1, opt.hold * 1000) > 0 && read(0, &byte, 1) > 0) {
    }
  }
  return 0;
}
