// The benchmark's ceiling: K-Fix's own HTTP server (Boost.Beast, the same
// kfix::http::start_server and config the agent uses) with a handler that
// answers 202 {} at once: no JSON parsing, no storage. Built by
// bench/intake/run.sh against build-bench's static libraries.
//   noop_server PORT [THREADS]
#include "actors/common/http_server.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: noop_server PORT [THREADS]\n");
    return 2;
  }
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  // Blocked before the server's threads start, so that only sigwait sees them.
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  kfix::http::server_config cfg; // same defaults as the agent's server
  cfg.address = "127.0.0.1";
  cfg.port = static_cast<uint16_t>(std::atoi(argv[1]));
  cfg.threads = argc > 2 ? std::atoi(argv[2]) : 2;
  auto srv = kfix::http::start_server(
    cfg, [](kfix::http::request&&, kfix::http::responder respond) {
      kfix::http::response resp;
      resp.status = 202;
      resp.header("Content-Type", "application/json");
      resp.body = "{}";
      respond(std::move(resp));
    });
  if (!srv) {
    std::fprintf(stderr, "noop_server: cannot start: %s\n",
                 caf::to_string(srv.error()).c_str());
    return 1;
  }
  std::printf("noop_server listening on 127.0.0.1:%u\n", (*srv)->port());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  (*srv)->stop();
  return 0;
}
