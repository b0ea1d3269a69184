// tlsload: a bounded HTTP/1.1-over-TLS load generator for the edge benchmark.
//
// One thread, epoll, non-blocking OpenSSL, so that the generator costs far less CPU than the
// server it measures. Two modes:
//   handshake  every request on a new connection: a full TLS handshake (tickets and session
//              caching off), client certificate if given, one GET, close;
//   keepalive  --conns connections, each sending --per-conn requests in sequence.
// It stops after --seconds or --max-requests, whichever comes first, and prints one JSON line:
// completed requests, errors, wall seconds, its own CPU seconds, and a count per status code.
//
// Build: cc -O2 -o tlsload tlsload.c -lssl -lcrypto   (tools/bench/edge/main.ts does this)

#define _GNU_SOURCE  // strcasestr
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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

enum state { CONNECTING, HANDSHAKING, WRITING, READING };

struct conn {
  int fd;
  SSL *ssl;
  enum state state;
  int sent_on_conn;
  char buf[16384];
  size_t have;
  size_t wrote;
};

static struct {
  const char *host, *sni, *cert, *key, *path, *mode;
  int port, conns, per_conn, seconds, max_requests;
} opt = {"127.0.0.1", NULL, NULL, NULL, "/", "handshake", 0, 8, 100, 5, 0};

static SSL_CTX *ctx;
static int epfd;
static char request[1024];
static size_t request_len;
static long completed, errors, statuses[600];
static int keepalive;

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
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c->ssl = NULL;
  c->state = CONNECTING;
  c->sent_on_conn = 0;
  c->have = c->wrote = 0;
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
}

static void fail(struct conn *c) {
  errors++;
  ERR_clear_error();
  close_conn(c);
  open_conn(c);
}

/** Waits for whatever OpenSSL asked for; returns 0 when the operation must be retried later. */
static int want(struct conn *c, int ret) {
  int e = SSL_get_error(c->ssl, ret);
  if (e == SSL_ERROR_WANT_READ) return watch(c, EPOLLIN, EPOLL_CTL_MOD), 0;
  if (e == SSL_ERROR_WANT_WRITE) return watch(c, EPOLLOUT, EPOLL_CTL_MOD), 0;
  return -1;
}

/** Parses a complete response in c->buf; returns its total length, 0 if incomplete, -1 if bad. */
static long response_length(struct conn *c, int *status) {
  c->buf[c->have < sizeof c->buf ? c->have : sizeof c->buf - 1] = 0;
  char *end = strstr(c->buf, "\r\n\r\n");
  if (!end) return c->have >= sizeof c->buf - 1 ? -1 : 0;
  if (sscanf(c->buf, "HTTP/1.%*d %d", status) != 1) return -1;
  char *cl = strcasestr(c->buf, "\r\ncontent-length:");
  if (!cl || cl > end) return -1;
  long body = strtol(cl + 17, NULL, 10);
  long total = (end - c->buf) + 4 + body;
  if (total >= (long)sizeof c->buf) return -1;
  return (long)c->have >= total ? total : 0;
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
        c->state = WRITING;
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
        break;
      }
      case READING: {
        int r = SSL_read(c->ssl, c->buf + c->have, (int)(sizeof c->buf - 1 - c->have));
        if (r <= 0) {
          if (want(c, r) == 0) return;
          return fail(c);
        }
        c->have += r;
        int status = 0;
        long total = response_length(c, &status);
        if (total < 0) return fail(c);
        if (total == 0) break;
        completed++;
        if (status > 0 && status < 600) statuses[status]++;
        c->sent_on_conn++;
        if (keepalive && c->sent_on_conn < opt.per_conn && (size_t)total == c->have) {
          c->state = WRITING;
          c->wrote = 0;
          break;
        }
        close_conn(c);
        open_conn(c);
        return;
      }
    }
  }
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
    else {
      fprintf(stderr, "tlsload: unknown option %s\n", k);
      return 2;
    }
  }
  if (opt.port <= 0 || opt.conns <= 0 || opt.conns > 4096 || opt.seconds <= 0 || opt.seconds > 600) {
    fprintf(stderr, "tlsload: need --port, 1..4096 --conns, 1..600 --seconds\n");
    return 2;
  }
  keepalive = !strcmp(opt.mode, "keepalive");
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
  struct conn *conns = calloc((size_t)opt.conns, sizeof *conns);
  for (int i = 0; i < opt.conns; i++) open_conn(&conns[i]);

  double start = now_seconds(), cpu_start = cpu_seconds(), deadline = start + opt.seconds;
  struct epoll_event events[256];
  while (now_seconds() < deadline && (opt.max_requests == 0 || completed < opt.max_requests)) {
    int n = epoll_wait(epfd, events, 256, 100);
    for (int i = 0; i < n; i++) step(events[i].data.ptr);
  }
  double wall = now_seconds() - start, cpu = cpu_seconds() - cpu_start;
  printf("{\"mode\":\"%s\",\"completed\":%ld,\"errors\":%ld,\"seconds\":%.3f,\"cpuSeconds\":%.3f,\"statuses\":{", opt.mode, completed, errors,
         wall, cpu);
  int first = 1;
  for (int s = 0; s < 600; s++)
    if (statuses[s]) printf("%s\"%d\":%ld", first ? "" : ",", s, statuses[s]), first = 0;
  printf("}}\n");
  return 0;
}
