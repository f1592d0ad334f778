/* hello-bin: a tiny HTTP/1.0 server for deployer's binary-mode example.
 *
 *   GET /         -> "hello-bin <VERSION>"   (VERSION is compiled in: -DVERSION=\"1.0.0\")
 *   GET /healthz  -> 200 "ok"
 *   GET /env/NAME -> the value of environment variable NAME (only when HELLO_DEBUG_ENV=1)
 *
 * Fault switches, for deployer's own tests of its rollback:
 *   HELLO_EXIT_AT_START=1   exits 1 at once (a release that cannot start)
 *   HELLO_HEALTH_STATUS=500 answers /healthz with that status (an unhealthy release)
 *   HELLO_UNHEALTHY_PORT=N  answers /healthz with 500 only in the instance whose
 *                           PORT is N (one bad replica out of several)
 *   HELLO_SLOW=1            a slow app: starts listening only after 3 s, and one
 *                           request to / in ten takes 1.5 s and says so in a header
 *                           X-Hello-Slow: 1 (for zero-downtime tests and the benchmark)
 *
 * The contract with deployer: listen on 127.0.0.1:$PORT (deployer assigns the
 * port; default 8000 when run by hand), or on the socket systemd passes
 * (LISTEN_FDS=1). One request per connection, each on its own thread. SIGTERM
 * stops accepting, lets the requests in flight finish, then exits 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#ifndef VERSION
#error "build with -DVERSION=\"x.y.z\" (see build.sh)"
#endif

static volatile sig_atomic_t stopping = 0;
static int slow = 0;
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t count_zero = PTHREAD_COND_INITIALIZER;
static int in_flight = 0;
static unsigned long served_root = 0;

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

static void reply_with(int fd, const char *status, const char *extra_headers, const char *body) {
  char buf[640];
  int n = snprintf(buf, sizeof buf,
                   "HTTP/1.0 %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n"
                   "%sConnection: close\r\n\r\n%s", status, strlen(body), extra_headers, body);
  for (int off = 0; off < n;) {
    ssize_t w = write(fd, buf + off, (size_t)(n - off));
    if (w <= 0) return;
    off += (int)w;
  }
}

static void reply(int fd, const char *status, const char *body) { reply_with(fd, status, "", body); }

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
  if (strcmp(path, "/") == 0) {
    int this_one_slow = 0;
    if (slow) {
      pthread_mutex_lock(&count_lock);
      this_one_slow = (++served_root % 10) == 0;
      pthread_mutex_unlock(&count_lock);
      if (this_one_slow) {
        struct timespec ts = { .tv_sec = 1, .tv_nsec = 500000000L };
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
      }
    }
    /* The slow ones say so, so a benchmark can tell them from stalls. */
    reply_with(fd, "200 OK", this_one_slow ? "X-Hello-Slow: 1\r\n" : "", "hello-bin " VERSION "\n");
  }
  else if (strcmp(path, "/healthz") == 0) {
    const char *st = getenv("HELLO_HEALTH_STATUS");
    const char *bad_port = getenv("HELLO_UNHEALTHY_PORT"), *port = getenv("PORT");
    if (bad_port && *bad_port && port && strcmp(bad_port, port) == 0) reply(fd, "500 Internal Server Error", "unhealthy\n");
    else if (st && *st && strcmp(st, "200") != 0) reply(fd, st, "unhealthy\n");
    else reply(fd, "200 OK", "ok\n");
  } else if (strncmp(path, "/env/", 5) == 0 && getenv("HELLO_DEBUG_ENV") && strcmp(getenv("HELLO_DEBUG_ENV"), "1") == 0) {
    const char *v = getenv(path + 5);
    char body[256];
    snprintf(body, sizeof body, "%s\n", v ? v : "");
    reply(fd, "200 OK", body);
  }
  else reply(fd, "404 Not Found", "not found\n");
}

static void *connection(void *arg) {
  int fd = (int)(long)arg;
  serve(fd);
  close(fd);
  pthread_mutex_lock(&count_lock);
  if (--in_flight == 0) pthread_cond_signal(&count_zero);
  pthread_mutex_unlock(&count_lock);
  return NULL;
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
  const char *sl = getenv("HELLO_SLOW");
  slow = sl && strcmp(sl, "1") == 0;
  if (slow) {
    struct timespec ts = { .tv_sec = 3 };
    while (!stopping && nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
  }
  /* Every thread but main blocks SIGTERM, so the signal interrupts accept(). */
  sigset_t term, old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigaddset(&term, SIGINT);
  int lfd = listen_socket();
  const char *listen_port = getenv("PORT");
  printf("hello-bin %s listening%s%s\n", VERSION, listen_port && *listen_port ? " on port " : "", listen_port && *listen_port ? listen_port : "");
  while (!stopping) {
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) {
      if (errno == EINTR) continue;
      perror("accept");
      continue;
    }
    pthread_mutex_lock(&count_lock);
    in_flight++;
    pthread_mutex_unlock(&count_lock);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_sigmask(SIG_BLOCK, &term, &old);
    int err = pthread_create(&t, &attr, connection, (void *)(long)fd);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (err != 0) { /* out of threads: serve it on this one */
      connection((void *)(long)fd);
    }
  }
  /* Graceful stop: no new connections; the requests in flight finish. */
  close(lfd);
  printf("hello-bin %s stopping\n", VERSION);
  pthread_mutex_lock(&count_lock);
  while (in_flight > 0) pthread_cond_wait(&count_zero, &count_lock);
  pthread_mutex_unlock(&count_lock);
  printf("hello-bin %s stopped\n", VERSION);
  return 0;
}
