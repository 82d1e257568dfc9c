/*
 * mock_cluster: serves librdkafka's mock Kafka cluster on loopback for the Kafka test suites.
 *
 *   gcc -O2 -o mock_cluster mock_cluster.c $(pkg-config --cflags --libs rdkafka)
 *   ./mock_cluster [broker_count]
 *
 * Prints one line on stdout, `bootstraps <host:port,...>`, then serves until stdin closes or
 * SIGTERM/SIGINT arrives. Control commands, one per line on stdin; each is answered with one line,
 * `ok <command>` or `err <command>: <reason>`:
 *
 *   down <broker_id|-1>                   disconnect a broker and refuse new connections
 *   up <broker_id|-1>                     accept connections again
 *   rtt <broker_id|-1> <ms>               add a round-trip delay
 *   topic <name> <partitions> <rf>        create a topic (the mock has no CreateTopics API)
 *   apiversion <key> <min> <max>          rd_kafka_mock_set_apiversion: narrow (or, -1 -1, hide)
 *                                         an API the mock implements; an API it has no handler
 *                                         for (SaslHandshake 17, SaslAuthenticate 36) stays absent
 *
 * The mock cluster is librdkafka's test double (rdkafka_mock.h, an experimental API): it speaks
 * the Kafka wire protocol but implements only a subset of it (no CreateTopics, no compaction).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

static void reply(const char *cmd, rd_kafka_resp_err_t err) {
  if (err)
    printf("err %s: %s\n", cmd, rd_kafka_err2str(err));
  else
    printf("ok %s\n", cmd);
  fflush(stdout);
}

static void handle(rd_kafka_mock_cluster_t *mc, char *line) {
  char name[512];
  int a = 0, b = 0, c = 0;
  line[strcspn(line, "\r\n")] = '\0';
  if (line[0] == '\0')
    return;
  if (sscanf(line, "down %d", &a) == 1)
    reply(line, rd_kafka_mock_broker_set_down(mc, a));
  else if (sscanf(line, "up %d", &a) == 1)
    reply(line, rd_kafka_mock_broker_set_up(mc, a));
  else if (sscanf(line, "rtt %d %d", &a, &b) == 2)
    reply(line, rd_kafka_mock_broker_set_rtt(mc, a, b));
  else if (sscanf(line, "apiversion %d %d %d", &a, &b, &c) == 3)
    reply(line, rd_kafka_mock_set_apiversion(mc, (int16_t)a, (int16_t)b, (int16_t)c));
  else if (sscanf(line, "topic %511s %d %d", name, &a, &b) == 3)
    reply(line, rd_kafka_mock_topic_create(mc, name, a, b));
  else {
    printf("err %s: unknown command\n", line);
    fflush(stdout);
  }
}

int main(int argc, char **argv) {
  char errstr[512];
  char line[1024];
  int brokers = argc > 1 ? atoi(argv[1]) : 1;
  struct sigaction sa;
  rd_kafka_conf_t *conf;
  rd_kafka_t *rk;
  rd_kafka_mock_cluster_t *mc;

  if (brokers < 1 || brokers > 9) {
    fprintf(stderr, "mock_cluster: broker_count must be 1..9\n");
    return 2;
  }

  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal; /* no SA_RESTART: a signal interrupts the blocking read */
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "mock_cluster: %s\n", errstr);
    return 1;
  }
  rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (!rk) {
    fprintf(stderr, "mock_cluster: rd_kafka_new: %s\n", errstr);
    return 1;
  }
  mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mc) {
    fprintf(stderr, "mock_cluster: rd_kafka_mock_cluster_new failed\n");
    rd_kafka_destroy(rk);
    return 1;
  }

  printf("bootstraps %s\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);

  while (!stop_requested) {
    if (!fgets(line, sizeof(line), stdin)) {
      if (ferror(stdin) && errno == EINTR && !stop_requested) {
        clearerr(stdin);
        continue;
      }
      break; /* stdin closed (parent gone) or a signal asked us to stop */
    }
    handle(mc, line);
  }

  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
