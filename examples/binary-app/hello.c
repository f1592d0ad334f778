/* hello-bin: a tiny HTTP/1.0 server for deployer's binary-mode example.
 *
 *   GET /         -> "hello-bin <VERSION>"   (VERSION is compiled in: -DVERSION=\"1.0.0\")
 *   GET /healthz  -> 200 "ok"
 *   GET /env/NAME -> the value of environment variable NAME (only when HELLO_DEBUG_ENV=1)
 *
 * Fault switches, for deployer's own tests of its rollback:
 *   HELLO_EXIT_AT_START=1   exits 1 at once (a release that cannot start)
 *   HELLO_HEALTH_STATUS=500 answers /healthz with that status (an unhealthy release)
 *
 * Listens on 127.0.0.1:$PORT (default 8000), or on the socket systemd passes
 * (LISTEN_FDS=1). One request per connection, one connection at a time: enough
 * for a health check and a demo. SIGTERM makes it exit 0, as systemd expects.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#ifndef VERSION
#error "build with -DVERSION=\"x.y.z\" (see build.sh)"
#endif

static volatile sig_atomic_t stopping = 0;

static void on_term(int sig) { (void)sig; stopping = 1; }

static int listen_socket(void) {
  const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
  if (fds && pid && atoi(fds) == 1 && atoi(pid) == (int)getpid()) return 3; /* systemd socket activation */
  const char *port_env = getenv("PORT");
  int port = port_env && *port_env ? atoi(port_env) : 8000;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) { perror("socket"); exit(1); }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) { perror("bind"); exit(1); }
  if (listen(fd, 64) < 0) { perror("listen"); exit(1); }
  return fd;
}

static void reply(int fd, const char *status, const char *body) {
  char buf[512];
  int n = snprintf(buf, sizeof buf,
                   "HTTP/1.0 %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n"
                   "Connection: close\r\n\r\n%s", status, strlen(body), body);
  for (int off = 0; off < n;) {
    ssize_t w = write(fd, buf + off, (size_t)(n - off));
    if (w <= 0) return;
    off += (int)w;
  }
}

static void serve(int fd) {
  /* A slow or silent client must not block the only thread for long. */
  struct timeval tv = { .tv_sec = 5 };
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char req[2048];
  size_t len = 0;
  while (len < sizeof req - 1) {
    ssize_t r = read(fd, req + len, sizeof req - 1 - len);
    if (r <= 0) break;
    len += (size_t)r;
    req[len] = '\0';
    if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n")) break;
  }
  req[len] = '\0';
  char method[16] = "", path[1024] = "";
  if (sscanf(req, "%15s %1023s", method, path) != 2) { reply(fd, "400 Bad Request", "bad request\n"); return; }
  char *query = strchr(path, '?');
  if (query) *query = '\0';
  if (strcmp(path, "/") == 0) reply(fd, "200 OK", "hello-bin " VERSION "\n");
  else if (strcmp(path, "/healthz") == 0) {
    const char *st = getenv("HELLO_HEALTH_STATUS");
    if (st && *st && strcmp(st, "200") != 0) reply(fd, st, "unhealthy\n");
    else reply(fd, "200 OK", "ok\n");
  } else if (strncmp(path, "/env/", 5) == 0 && getenv("HELLO_DEBUG_ENV") && strcmp(getenv("HELLO_DEBUG_ENV"), "1") == 0) {
    const char *v = getenv(path + 5);
    char body[256];
    snprintf(body, sizeof body, "%s\n", v ? v : "");
    reply(fd, "200 OK", body);
  }
  else reply(fd, "404 Not Found", "not found\n");
}

int main(void) {
  /* No SA_RESTART: SIGTERM must interrupt accept() so the loop can end. */
  struct sigaction sa = { .sa_handler = on_term };
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *ex = getenv("HELLO_EXIT_AT_START");
  if (ex && strcmp(ex, "1") == 0) { fprintf(stderr, "hello-bin %s: HELLO_EXIT_AT_START=1, exiting\n", VERSION); return 1; }
  int lfd = listen_socket();
  printf("hello-bin %s listening\n", VERSION);
  while (!stopping) {
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) {
      if (errno == EINTR) continue;
      perror("accept");
      continue;
    }
    serve(fd);
    close(fd);
  }
  printf("hello-bin %s stopping\n", VERSION);
  return 0;
}
