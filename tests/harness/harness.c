/* harness.c — starts real stores and service binaries for integration tests and
 * guarantees their teardown: a reaper process stops the stores if the test dies. */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "grpc/health/v1/health.pb-c.h"
#include "redis.h"
#include "rpc_client.h"
#include "strbuf.h"
#include "timeutil.h"

#define MAX_INSTANCES 8
#define HEALTH_WAIT_MS 120000
#define CLUSTER_NODES_MAX 12

extern char **environ;

typedef struct instance {
    char name[32];     /* "expiry-svc#2" */
    char binary[32];   /* "expiry-svc" */
    int port, metrics_port;
    pid_t pid;
    char addr[32];
    char log[512];
    rpc_tls tls;       /* the instance's TLS files: health checks speak TLS with them */
} instance;

struct harness {
    char dir[256];
    int pg_port, redis_port;
    int bouncer_port;  /* > 0 while PgBouncer runs in front of PostgreSQL */
    int replica_port;  /* > 0 while a streaming replica runs */
    int via_bouncer;   /* services reach PostgreSQL through it (HARNESS_PGBOUNCER=1) */
    char bouncer_url[128];
    pid_t reaper;
    char redis_url[64];
    char db_url[128];
    instance instances[MAX_INSTANCES];
    size_t instance_count;
    const char *const *env;
    PGconn *db;
    redisContext *redis;
    redis_conn *client;                    /* cluster-aware (shared/runtime/redis.h) */
    harness_cluster cluster;               /* primaries 0: one node owning every slot */
    int node_ports[CLUSTER_NODES_MAX], nodes;
    char redis_password[64];
};

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("harness: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static int port_free(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

/* A free loopback port in [low, low + span), below the kernel's ephemeral range
 * (32768+) so that no outgoing connection can take it between this check and the
 * server's bind; with bus_offset, port + bus_offset must be free too (Redis Cluster
 * listens on its port + 10000 for the cluster bus). */
static int free_port_in(int low, int span, int bus_offset)
{
    static unsigned seed;
    if (!seed)
        seed = (unsigned)getpid() ^ (unsigned)time(NULL);
    for (int attempt = 0; attempt < 1000; attempt++) {
        int port = low + (int)(rand_r(&seed) % (unsigned)span);
        if (port_free(port) && (!bus_offset || port_free(port + bus_offset)))
            return port;
    }
    die("no free port: %s", strerror(errno));
    return -1;
}

/* Service and PostgreSQL ports: 23000-32000. Redis: 20000-22999, its bus 30000-32999. */
static int free_port(void) { return free_port_in(23000, 9000, 0); }
static int free_redis_port(void) { return free_port_in(20000, 2700, 10000); }

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Runs tests/stack.sh with the arguments in args (NULL-terminated, at most 16) and
 * the Redis password and node timeout of h, if any; returns its exit status. */
static int stack_v(const harness *h, const char *const *args)
{
    const char *argv[20] = {"bash", HARNESS_SOURCE_DIR "/tests/stack.sh"};
    for (int i = 0; args[i] && i < 16; i++)
        argv[i + 2] = args[i];
    pid_t pid = fork();
    if (pid == 0) {
        if (h && h->redis_password[0])
            setenv("STACK_REDIS_PASSWORD", h->redis_password, 1);
        if (h && h->cluster.node_timeout_ms > 0) {
            char ms[16];
            snprintf(ms, sizeof ms, "%d", h->cluster.node_timeout_ms);
            setenv("STACK_REDIS_NODE_TIMEOUT", ms, 1);
        }
        execv("/bin/bash", (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static int stack(const char *a1, const char *a2, const char *a3, const char *a4)
{
    const char *args[] = {a1, a2, a3, a4, NULL};
    return stack_v(NULL, args);
}

static void stores_down(const char *dir)
{
    char replica[300];
    snprintf(replica, sizeof replica, "%s/replica", dir);
    stack("pgbouncer-stop", dir, NULL, NULL);
    stack("pg-stop", replica, "immediate", NULL);
    stack("pg-stop", dir, "immediate", NULL);
    stack("redis-stop", dir, NULL, NULL);
}

/* A child that outlives nothing: when the test process dies it stops the stores. */
static pid_t start_reaper(const char *dir)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() == parent) {
        int sig;
        sigwait(&set, &sig);
    }
    stores_down(dir);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        _exit(1);
    _exit(0);
}

static instance *find_instance(harness *h, const char *name)
{
    for (size_t i = 0; i < h->instance_count; i++)
        if (strcmp(h->instances[i].name, name) == 0)
            return &h->instances[i];
    return NULL;
}

static instance *add_instance(harness *h, const char *name)
{
    instance *in = find_instance(h, name);
    if (in)
        return in;
    if (h->instance_count == MAX_INSTANCES)
        die("too many service instances");
    in = &h->instances[h->instance_count++];
    memset(in, 0, sizeof *in);
    snprintf(in->name, sizeof in->name, "%s", name);
    snprintf(in->binary, sizeof in->binary, "%.*s", (int)strcspn(name, "#"), name);
    in->port = free_port();
    in->metrics_port = free_port();
    snprintf(in->addr, sizeof in->addr, "127.0.0.1:%d", in->port);
    char log[sizeof in->log];
    snprintf(log, sizeof log, "%s/%s.log", h->dir, in->name);
    memcpy(in->log, log, sizeof log);
    return in;
}

static void print_log(const instance *in)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "tail -n 40 '%s' >&2", in->log);
    fprintf(stderr, "---- last lines of %s ----\n", in->name);
    if (system(cmd) != 0)
        fprintf(stderr, "(no log)\n");
}

/* The environment of an instance: the caller's settings first (getenv takes the first
 * of duplicate names), then the harness defaults, then the inherited environment. */
static size_t build_env(harness *h, instance *in, const char *const *extra, char **out, size_t cap, char *buf,
                        size_t buflen)
{
    size_t n = 0, used = 0;
    instance *payment = add_instance(h, "payment-svc");
    const char *role = strcmp(in->binary, "payment-svc") == 0 ? "payment_svc" : "booking_svc";
    for (size_t i = 0; extra && extra[i] && n + 1 < cap; i++)
        out[n++] = (char *)extra[i];
    for (size_t i = 0; h->env && h->env[i] && n + 1 < cap; i++)
        out[n++] = (char *)h->env[i];
#define PUT(...)                                                                  \
    do {                                                                          \
        out[n++] = buf + used;                                                    \
        used += (size_t)snprintf(buf + used, buflen - used, __VA_ARGS__) + 1;     \
    } while (0)
    PUT("GRPC_LISTEN=%s", in->addr);
    PUT("METRICS_LISTEN=127.0.0.1:%d", in->metrics_port);
    PUT("REDIS_URL=%s", h->redis_url);
    if (h->redis_password[0])
        PUT("REDIS_PASSWORD=%s", h->redis_password);
    if (h->via_bouncer) { /* as k8s/ prod runs: the pooler, and a session past it */
        PUT("DATABASE_URL=%s", harness_pgbouncer_url(h, role));
        PUT("DATABASE_POOL_MODE=transaction");
        PUT("DATABASE_DIRECT_URL=%s", harness_database_url(h, role));
    } else {
        PUT("DATABASE_URL=%s", harness_database_url(h, role));
    }
    PUT("PAYMENT_ADDR=%s", payment->addr);
    PUT("GRPC_WORKERS=4");
    PUT("REPAIR_INTERVAL_MS=200"); /* booking-svc: repairs within a test's patience */
    PUT("AUTH_MODE=headers"); /* tests about identity set AUTH_MODE=jwt themselves */
    PUT("LOG_LEVEL=%s", getenv("HARNESS_LOG_LEVEL") ? getenv("HARNESS_LOG_LEVEL") : "info");
#undef PUT
    for (size_t i = 0; environ[i] && n + 1 < cap; i++)
        out[n++] = environ[i];
    out[n] = NULL;
    return n;
}

/* The TLS files in an environment (the first of duplicate names wins, as for getenv). */
static void tls_from_env(rpc_tls *t, char *const *envp)
{
    static const struct {
        const char *prefix;
        size_t offset;
    } names[] = {{"TLS_CA_FILE=", offsetof(rpc_tls, ca_file)},
                 {"TLS_CERT_FILE=", offsetof(rpc_tls, cert_file)},
                 {"TLS_KEY_FILE=", offsetof(rpc_tls, key_file)}};
    memset(t, 0, sizeof *t);
    t->refresh_seconds = 60;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        for (size_t e = 0; envp[e]; e++)
            if (strncmp(envp[e], names[i].prefix, strlen(names[i].prefix)) == 0) {
                snprintf((char *)t + names[i].offset, CONFIG_STRING_MAX, "%s", envp[e] + strlen(names[i].prefix));
                break;
            }
}

static void spawn(harness *h, instance *in, const char *const *extra)
{
    char *envp[256], buf[4096], path[512];
    build_env(h, in, extra, envp, 256, buf, sizeof buf);
    tls_from_env(&in->tls, envp);
    snprintf(path, sizeof path, HARNESS_BUILD_DIR "/%s/%s", in->binary, in->binary);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        FILE *log = fopen(in->log, "a");
        if (log) {
            dup2(fileno(log), STDOUT_FILENO);
            dup2(fileno(log), STDERR_FILENO);
        }
        if (getenv("HARNESS_VALGRIND")) { /* memcheck every service: a definite leak or error fails its exit */
            char *vg[] = {(char *)"valgrind", (char *)"--quiet", (char *)"--error-exitcode=99",
                          (char *)"--leak-check=full", (char *)"--errors-for-leak-kinds=definite", path, NULL};
            execve("/usr/bin/valgrind", vg, envp);
        }
        execve(path, (char *[]){path, NULL}, envp);
        _exit(127);
    }
    in->pid = pid;
}

static int serving(const instance *in)
{
    const char *addr = in->addr;
    rpc_client *c = rpc_client_new_tls(addr, &grpc__health__v1__health__descriptor, in->tls.ca_file[0] ? &in->tls : NULL);
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    int ok = rpc_client_call(c, "Check", &req.base, NULL, 0, 1000, 0, &resp, NULL) == 0 &&
             ((Grpc__Health__V1__HealthCheckResponse *)resp)->status ==
                 GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
    if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    rpc_client_free(c);
    return ok;
}

static int wait_serving(harness *h, instance *in)
{
    long give_up = monotonic_ms() + HEALTH_WAIT_MS;
    while (monotonic_ms() < give_up) {
        int status;
        if (waitpid(in->pid, &status, WNOHANG) == in->pid) {
            in->pid = 0;
            fprintf(stderr, "harness: %s exited during start\n", in->name);
            print_log(in);
            return -1;
        }
        if (serving(in))
            return 0;
        sleep_ms(50);
    }
    fprintf(stderr, "harness: %s not SERVING after %d ms\n", in->name, HEALTH_WAIT_MS);
    print_log(in);
    (void)h;
    return -1;
}

int harness_start_service(harness *h, const char *name, const char *const *env)
{
    instance *in = add_instance(h, name);
    if (in->pid > 0)
        harness_stop_service(h, name, SIGTERM);
    spawn(h, in, env);
    return wait_serving(h, in);
}

int harness_signal(harness *h, const char *name, int sig)
{
    instance *in = find_instance(h, name);
    return in && in->pid > 0 ? kill(in->pid, sig) : -1;
}

/* The pid in the first line of a file, or 0. */
static int pid_in(const char *path)
{
    FILE *f = fopen(path, "r");
    int pid = 0;
    if (f && fscanf(f, "%d", &pid) != 1)
        pid = 0;
    if (f)
        fclose(f);
    return pid;
}

/* Signals pid and every process whose parent it is (PostgreSQL's backends). */
static int signal_tree(int pid, int sig)
{
    if (pid <= 0)
        return -1;
    DIR *proc = opendir("/proc");
    struct dirent *d;
    while (proc && (d = readdir(proc)) != NULL) {
        char path[300], comm[64];
        int child, parent;
        snprintf(path, sizeof path, "/proc/%s/stat", d->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        if (fscanf(f, "%d %63s %*c %d", &child, comm, &parent) == 3 && parent == pid)
            kill(child, sig);
        fclose(f);
    }
    if (proc)
        closedir(proc);
    return kill(pid, sig);
}

int harness_signal_postgres(harness *h, int sig)
{
    char path[600];
    snprintf(path, sizeof path, "%s/pgdata/postmaster.pid", h->dir);
    return signal_tree(pid_in(path), sig);
}

int harness_signal_redis(harness *h, int sig)
{
    char path[600];
    snprintf(path, sizeof path, "%s/redis/redis.pid", h->dir);
    return signal_tree(pid_in(path), sig);
}

int harness_stop_service(harness *h, const char *name, int sig)
{
    instance *in = find_instance(h, name);
    if (!in || in->pid <= 0)
        return -1;
    kill(in->pid, sig);
    int status = 0;
    long give_up = monotonic_ms() + 30000;
    while (waitpid(in->pid, &status, WNOHANG) == 0) {
        if (monotonic_ms() > give_up) {
            fprintf(stderr, "harness: %s ignored signal %d for 30 s; killing\n", in->name, sig);
            kill(in->pid, SIGKILL);
            waitpid(in->pid, &status, 0);
            break;
        }
        sleep_ms(10);
    }
    in->pid = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A real Redis Cluster: primaries * (1 + replicas) redis-server processes. */
static void cluster_up(harness *h)
{
    char ports[CLUSTER_NODES_MAX][16], replicas[8];
    const char *args[4 + CLUSTER_NODES_MAX] = {"redis-cluster-start", h->dir, replicas};
    snprintf(replicas, sizeof replicas, "%d", h->cluster.replicas);
    for (int i = 0; i < h->nodes; i++) {
        snprintf(ports[i], sizeof ports[i], "%d", h->node_ports[i]);
        args[3 + i] = ports[i];
    }
    if (stack_v(h, args) != 0)
        die("the redis cluster did not start (see %s/redis-*/redis.log)", h->dir);
}

static void stores_up(harness *h)
{
    char port[16];
    snprintf(port, sizeof port, "%d", h->pg_port);
    if (stack("pg-start", h->dir, port, "fast") != 0)
        die("postgres did not start (see %s/postgres.log)", h->dir);
    snprintf(port, sizeof port, "%d", h->redis_port);
    if (h->nodes)
        cluster_up(h);
    else if (stack("redis-start", h->dir, port, "cluster") != 0)
        die("redis did not start");
    snprintf(port, sizeof port, "%d", h->pg_port);
    if (stack("migrate", HARNESS_BUILD_DIR, port, NULL) != 0)
        die("migrations failed");
}

/* h->redis: a plain hiredis connection to the first node, authenticated. 0 or -1. */
static int redis_connect_raw(harness *h)
{
    h->redis = redisConnect("127.0.0.1", h->redis_port);
    if (!h->redis || h->redis->err)
        return -1;
    if (!h->redis_password[0])
        return 0;
    redisReply *reply = redisCommand(h->redis, "AUTH %s", h->redis_password);
    int ok = reply && reply->type != REDIS_REPLY_ERROR;
    freeReplyObject(reply);
    return ok ? 0 : -1;
}

static void connect_clients(harness *h)
{
    char conninfo[128];
    snprintf(conninfo, sizeof conninfo, "postgresql://postgres@127.0.0.1:%d/booking", h->pg_port);
    h->db = PQconnectdb(conninfo);
    if (PQstatus(h->db) != CONNECTION_OK)
        die("cannot connect to postgres: %s", PQerrorMessage(h->db));
    if (redis_connect_raw(h) != 0)
        die("cannot connect to redis");
    h->client = redis_connect_as(h->redis_url, NULL, h->redis_password, 2000);
}

static harness *start_with(const char *const *services, const char *const *env, const harness_cluster *cluster)
{
    harness *h = calloc(1, sizeof *h);
    snprintf(h->dir, sizeof h->dir, "/tmp/booking-harness-XXXXXX");
    if (!mkdtemp(h->dir))
        die("mkdtemp: %s", strerror(errno));
    chmod(h->dir, 0755);
    h->env = env;
    h->pg_port = free_port();
    if (cluster) {
        h->cluster = *cluster;
        h->nodes = cluster->primaries * (1 + cluster->replicas);
        if (h->nodes > CLUSTER_NODES_MAX || cluster->primaries < 1 || cluster->replicas < 0)
            die("a cluster of %d nodes is not supported", h->nodes);
        for (int i = 0; i < h->nodes; i++)
            h->node_ports[i] = free_redis_port();
        snprintf(h->redis_password, sizeof h->redis_password, "%s", cluster->password ? cluster->password : "");
    }
    h->redis_port = h->nodes ? h->node_ports[0] : free_redis_port();
    snprintf(h->redis_url, sizeof h->redis_url, "redis://127.0.0.1:%d/0", h->redis_port);
    h->reaper = start_reaper(h->dir);
    stores_up(h);
    connect_clients(h);
    const char *bouncer = getenv("HARNESS_PGBOUNCER");
    if (bouncer && *bouncer && strcmp(bouncer, "0") != 0) {
        h->via_bouncer = 1;
        harness_pgbouncer_url(h, "booking_svc"); /* started now, not by the first service */
    }
    for (size_t i = 0; services && services[i]; i++)
        if (harness_start_service(h, services[i], NULL) != 0)
            die("service %s did not start", services[i]);
    return h;
}

harness *harness_start(const char *const *services, const char *const *env)
{
    return start_with(services, env, NULL);
}

harness *harness_start_cluster(const char *const *services, const char *const *env, const harness_cluster *cluster)
{
    return start_with(services, env, cluster);
}

int harness_stop(harness *h)
{
    int rc = 0;
    for (size_t i = 0; i < h->instance_count; i++) {
        instance *in = &h->instances[i];
        if (in->pid <= 0)
            continue;
        int status = harness_stop_service(h, in->name, SIGTERM);
        if (status != 0) {
            fprintf(stderr, "harness: %s exited with status %d on SIGTERM\n", in->name, status);
            print_log(in);
            rc = -1;
        }
    }
    PQfinish(h->db);
    redisFree(h->redis);
    redis_close(h->client);
    if (getenv("HARNESS_KEEP")) {
        fprintf(stderr, "harness: kept %s\n", h->dir);
        stores_down(h->dir);
        kill(h->reaper, SIGKILL);
    } else {
        kill(h->reaper, SIGTERM); /* it stops the stores and removes the folder */
    }
    waitpid(h->reaper, NULL, 0);
    free(h);
    return rc;
}

const char *harness_addr(const harness *h, const char *name)
{
    instance *in = find_instance((harness *)h, name);
    return in ? in->addr : NULL;
}

int harness_running(const harness *h, const char *name)
{
    instance *in = find_instance((harness *)h, name);
    return in && in->pid > 0;
}

const char *harness_log_path(const harness *h, const char *name)
{
    instance *in = find_instance((harness *)h, name);
    return in ? in->log : NULL;
}

int harness_metrics_port(const harness *h, const char *name)
{
    instance *in = find_instance((harness *)h, name);
    return in ? in->metrics_port : -1;
}

char *harness_metrics(const harness *h, const char *name)
{
    int port = harness_metrics_port(h, name), fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    static const char req[] = "GET /metrics HTTP/1.0\r\n\r\n";
    if (port <= 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        write(fd, req, sizeof req - 1) != (ssize_t)(sizeof req - 1)) {
        close(fd);
        return NULL;
    }
    strbuf out = STRBUF_INIT;
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        strbuf_append(&out, buf, (size_t)n);
    close(fd);
    return out.data ? out.data : strdup("");
}

char *harness_metrics_body(const harness *h, const char *name)
{
    char *answer = harness_metrics(h, name);
    const char *body = answer ? strstr(answer, "\r\n\r\n") : NULL;
    if (!body || strncmp(answer, "HTTP/1.0 200 ", 13) != 0) {
        free(answer);
        return NULL;
    }
    char *copy = strdup(body + 4);
    free(answer);
    return copy;
}

int harness_promtool_check(const char *body, char **report)
{
    static const char promtool[] = "/usr/bin/promtool";
    strbuf out = STRBUF_INIT;
    char path[] = "/tmp/harness-metrics-XXXXXX", cmd[256], buf[4096];
    int fd = mkstemp(path), rc = -1;
    if (access(promtool, X_OK) != 0) {
        strbuf_puts(&out, "promtool is not installed (/usr/bin/promtool: Debian package prometheus; ./dev test "
                          "installs it)");
    } else if (fd < 0 || write(fd, body, strlen(body)) != (ssize_t)strlen(body)) {
        strbuf_printf(&out, "cannot write %s: %s", path, strerror(errno));
    } else {
        snprintf(cmd, sizeof cmd, "%s check metrics < %s 2>&1", promtool, path);
        FILE *p = popen(cmd, "r");
        size_t n;
        while (p && (n = fread(buf, 1, sizeof buf, p)) > 0)
            strbuf_append(&out, buf, n);
        int status = p ? pclose(p) : -1;
        rc = status == 0 && out.len == 0 ? 0 : -1;
        if (rc != 0 && out.len == 0)
            strbuf_printf(&out, "promtool exited with status %d", status);
    }
    if (fd >= 0) {
        close(fd);
        unlink(path);
    }
    *report = out.data ? out.data : strdup("");
    return rc;
}

double harness_metric_value(const char *scrape, const char *series)
{
    char line[512];
    snprintf(line, sizeof line, "\n%s", series); /* a sample line, not a # HELP line */
    const char *p = scrape ? strstr(scrape, line) : NULL;
    return p ? strtod(p + strlen(line), NULL) : -1;
}

PGconn *harness_db(harness *h) { return h->db; }
redisContext *harness_redis(harness *h) { return h->redis; }
const char *harness_redis_url(const harness *h) { return h->redis_url; }

const char *harness_database_url(const harness *h, const char *role)
{
    harness *mh = (harness *)h;
    snprintf(mh->db_url, sizeof mh->db_url, "postgresql://%s@127.0.0.1:%d/booking", role, h->pg_port);
    return mh->db_url;
}

const char *harness_pgbouncer_url(harness *h, const char *role)
{
    if (h->bouncer_port <= 0) {
        char pg[16], port[16];
        int p = free_port();
        snprintf(pg, sizeof pg, "%d", h->pg_port);
        snprintf(port, sizeof port, "%d", p);
        if (stack("pgbouncer-start", h->dir, pg, port) != 0)
            die("pgbouncer did not start (see %s/pgbouncer/pgbouncer.log)", h->dir);
        h->bouncer_port = p;
    }
    snprintf(h->bouncer_url, sizeof h->bouncer_url, "postgresql://%s@127.0.0.1:%d/booking", role, h->bouncer_port);
    return h->bouncer_url;
}

int harness_start_replica(harness *h)
{
    if (h->replica_port > 0)
        return h->replica_port;
    char pg[16], port[16];
    int p = free_port();
    snprintf(pg, sizeof pg, "%d", h->pg_port);
    snprintf(port, sizeof port, "%d", p);
    if (stack("pg-replica-start", h->dir, pg, port) != 0)
        return -1;
    h->replica_port = p;
    return p;
}

int harness_restart_redis(harness *h)
{
    char port[16];
    snprintf(port, sizeof port, "%d", h->redis_port);
    redisFree(h->redis);
    stack("redis-stop", h->dir, NULL, NULL);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s/redis'", h->dir);
    if (system(cmd) != 0 || stack("redis-start", h->dir, port, "cluster") != 0)
        return -1;
    h->redis = redisConnect("127.0.0.1", h->redis_port);
    return h->redis && !h->redis->err ? 0 : -1;
}

int harness_crash_redis(harness *h)
{
    char port[16], path[600];
    snprintf(port, sizeof port, "%d", h->redis_port);
    snprintf(path, sizeof path, "%s/redis/redis.pid", h->dir);
    FILE *f = fopen(path, "r");
    int pid = 0;
    if (!f || fscanf(f, "%d", &pid) != 1 || pid <= 0) {
        if (f)
            fclose(f);
        return -1;
    }
    fclose(f);
    redisFree(h->redis);
    kill(pid, SIGKILL);
    for (int i = 0; i < 500 && kill(pid, 0) == 0; i++) /* gone before it starts again */
        usleep(10000);
    unlink(path);
    if (stack("redis-start", h->dir, port, "cluster") != 0)
        return -1;
    h->redis = redisConnect("127.0.0.1", h->redis_port);
    return h->redis && !h->redis->err ? 0 : -1;
}

int harness_stop_postgres(harness *h)
{
    PQfinish(h->db);
    h->db = NULL;
    return stack("pg-stop", h->dir, "fast", NULL) == 0 ? 0 : -1;
}

int harness_start_postgres(harness *h)
{
    char port[16], conninfo[128];
    snprintf(port, sizeof port, "%d", h->pg_port);
    if (stack("pg-start", h->dir, port, "fast") != 0)
        return -1;
    snprintf(conninfo, sizeof conninfo, "postgresql://postgres@127.0.0.1:%d/booking", h->pg_port);
    h->db = PQconnectdb(conninfo);
    return PQstatus(h->db) == CONNECTION_OK ? 0 : -1;
}

long harness_sql_long(harness *h, const char *sql, int nparams, const char *const *params)
{
    PGresult *r = PQexecParams(h->db, sql, nparams, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1)
        die("query failed: %s\n%s", sql, PQresultErrorMessage(r));
    long v = PQgetisnull(r, 0, 0) ? 0 : strtol(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return v;
}

/* ---- Redis Cluster ------------------------------------------------------------------ */

redis_conn *harness_redis_client(harness *h) { return h->client; }
int harness_redis_node_count(const harness *h) { return h->nodes; }
int harness_redis_node_port(const harness *h, int i) { return i >= 0 && i < h->nodes ? h->node_ports[i] : -1; }

static int node_pid(const harness *h, int i)
{
    char path[600];
    snprintf(path, sizeof path, "%s/redis-%d/redis.pid", h->dir, h->node_ports[i]);
    int pid = pid_in(path);
    return pid > 0 && kill(pid, 0) == 0 ? pid : 0;
}

int harness_signal_redis_node(harness *h, int i, int sig)
{
    if (i < 0 || i >= h->nodes)
        return -1;
    int pid = node_pid(h, i);
    if (pid <= 0 || kill(pid, sig) != 0)
        return -1;
    for (int n = 0; sig == SIGKILL && n < 500 && kill(pid, 0) == 0; n++) /* gone before we go on */
        sleep_ms(10);
    return 0;
}

int harness_redis_node_of(harness *h, const char *key)
{
    redis_endpoint at;
    redis_topology_stale(h->client); /* the cluster's shape now, not as last seen */
    if (redis_key_endpoint(h->client, key, &at) != 0)
        return -1;
    for (int i = 0; i < h->nodes; i++)
        if (h->node_ports[i] == at.port)
            return i;
    return -1;
}

/* 1 when live node i sees the cluster ok with every slot on a live primary. */
static int cluster_whole(harness *h, int i)
{
    char err[256];
    redisContext *c = redis_open_endpoint(h->client, "127.0.0.1", h->node_ports[i], err, sizeof err);
    redisReply *info = c ? redisCommand(c, "CLUSTER INFO") : NULL;
    redisReply *slots = c ? redisCommand(c, "CLUSTER SLOTS") : NULL;
    redis_topology *t = malloc(sizeof *t);
    int ok = info && info->type == REDIS_REPLY_STRING && strstr(info->str, "cluster_state:ok") &&
             redis_topology_parse(slots, "127.0.0.1", t) == 0;
    for (int s = 0; ok && s < REDIS_CLUSTER_SLOTS; s++)
        ok = t->slot[s] != REDIS_SLOT_NONE;
    for (int p = 0; ok && p < t->primaries; p++) {
        int live = 0;
        for (int n = 0; n < h->nodes; n++)
            live |= h->node_ports[n] == t->primary[p].port && node_pid(h, n) > 0;
        ok = live;
    }
    free(t);
    freeReplyObject(info);
    freeReplyObject(slots);
    if (c)
        redisFree(c);
    return ok;
}

long harness_wait_cluster(harness *h, long timeout_ms)
{
    long start = monotonic_ms();
    while (monotonic_ms() - start < timeout_ms) {
        int whole = 1, asked = 0;
        for (int i = 0; whole && i < h->nodes; i++)
            if (node_pid(h, i) > 0) {
                asked++;
                whole = cluster_whole(h, i);
            }
        if (whole && asked)
            return monotonic_ms() - start;
        sleep_ms(50);
    }
    return -1;
}
