/* bench_redis.c — the test Redis's figures for the benchmarks (bench_redis.h). */
#include "bench_redis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_common.h"

double bench_redis_info(harness *h, const char *section, const char *name)
{
    redisReply *reply = redisCommand(harness_redis(h), "INFO %s", section);
    char key[64];
    snprintf(key, sizeof key, "\n%s:", name);
    const char *field = reply && reply->type == REDIS_REPLY_STRING ? strstr(reply->str, key) : NULL;
    double value = field ? atof(field + strlen(key)) : 0;
    freeReplyObject(reply);
    return value;
}

double bench_redis_cpu(harness *h)
{
    return bench_redis_info(h, "cpu", "used_cpu_user_main_thread") +
           bench_redis_info(h, "cpu", "used_cpu_sys_main_thread");
}

void bench_redis_compact_aof(harness *h)
{
    freeReplyObject(redisCommand(harness_redis(h), "BGREWRITEAOF"));
    double start = bench_now();
    while (bench_now() - start < 60 && (bench_redis_info(h, "persistence", "aof_rewrite_in_progress") > 0 ||
                                        bench_redis_info(h, "persistence", "aof_rewrite_scheduled") > 0)) {
        struct timespec pause = {0, 50 * 1000000L};
        nanosleep(&pause, NULL);
    }
}

/* CSV output: a header, then "<test>","<rps>",... (the -q output's progress lines,
 * joined by carriage returns, could outgrow a read and hide the figure). */
double bench_redis_benchmark(harness *h, int requests, const char *args, double *cpu_us)
{
    bench_redis_compact_aof(h);
    double cpu_before = bench_redis_cpu(h);
    int port = 0;
    sscanf(strrchr(harness_redis_url(h), ':') + 1, "%d", &port);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "redis-benchmark -h 127.0.0.1 -p %d -c 50 -n %d -r 1000000000 --csv %s 2>&1", port,
             requests, args);
    FILE *p = popen(cmd, "r");
    char line[16384];
    double rate = 0;
    while (p && fgets(line, sizeof line, p)) {
        const char *rps = line[0] == '"' && strncmp(line, "\"test\"", 6) != 0 ? strstr(line, "\",\"") : NULL;
        if (rps)
            rate = atof(rps + 3);
        else if (strstr(line, "ERR") || strstr(line, "rror"))
            fprintf(stderr, "redis-benchmark: %s", line);
    }
    if (p)
        pclose(p);
    *cpu_us = 1e6 * (bench_redis_cpu(h) - cpu_before) / requests;
    return rate;
}

void bench_redis_counts_now(harness *h, bench_redis_counts *c)
{
    c->n = 0;
    c->cpu = bench_redis_cpu(h);
    c->forks = (long long)bench_redis_info(h, "stats", "total_forks");
    redisReply *reply = redisCommand(harness_redis(h), "INFO commandstats");
    for (const char *line = reply && reply->type == REDIS_REPLY_STRING ? reply->str : NULL; line && *line;) {
        char name[40];
        long long calls, usec;
        if (sscanf(line, "cmdstat_%39[^:]:calls=%lld,usec=%lld", name, &calls, &usec) == 3 &&
            c->n < BENCH_COMMAND_KINDS) {
            snprintf(c->name[c->n], sizeof c->name[c->n], "%s", name);
            c->usec[c->n] = usec;
            c->calls[c->n++] = calls;
        }
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    freeReplyObject(reply);
}

void bench_redis_print_per_op(const bench_redis_counts *before, const bench_redis_counts *after, long ops)
{
    printf("  Redis commands per operation (us in them):");
    for (int i = 0; i < after->n && ops > 0; i++) {
        long long was = 0, was_usec = 0;
        for (int k = 0; k < before->n; k++)
            if (strcmp(before->name[k], after->name[i]) == 0) {
                was = before->calls[k];
                was_usec = before->usec[k];
            }
        double per = (double)(after->calls[i] - was) / (double)ops;
        if (per >= 0.05)
            printf(" %s %.2f (%.1f)", after->name[i], per, (double)(after->usec[i] - was_usec) / (double)ops);
    }
    if (ops > 0)
        printf("\n  Redis main thread: %.1f us of CPU per operation; %lld fork(s) during the run",
               1e6 * (after->cpu - before->cpu) / (double)ops, after->forks - before->forks);
    printf("\n");
}

long bench_redis_count_keys(harness *h, const char *pattern)
{
    long count = 0;
    char cursor[32] = "0";
    do {
        redisReply *reply = redisCommand(harness_redis(h), "SCAN %s MATCH %s COUNT 1000", cursor, pattern);
        if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
            freeReplyObject(reply);
            return count;
        }
        snprintf(cursor, sizeof cursor, "%s", reply->element[0]->str);
        count += (long)reply->element[1]->elements;
        freeReplyObject(reply);
    } while (strcmp(cursor, "0") != 0);
    return count;
}

