// Test helpers: driving a StepExecutor against loopback peers (shared by
// step_executor_test.cc and capture_step_test.cc).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "agents/agent/step_executor.h"

namespace lingerlab::testing_steps {

// Performs one step and expects the agent to accept it; returns its event.
inline nlohmann::json Do(StepExecutor& ex, const std::string& op, nlohmann::json args) {
  auto r = ex.Perform(op, args);
  EXPECT_TRUE(r.ok()) << op << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : nlohmann::json();
}

// A listener "lsock" on 127.0.0.1 with an OS-chosen port; returns the port.
inline int Listen(StepExecutor& ex) {
  Do(ex, "socket", {{"handle", "lsock"}});
  Do(ex, "setsockopt", {{"handle", "lsock"}, {"option", "SO_REUSEADDR"}, {"value", 1}});
  nlohmann::json b = Do(ex, "bind", {{"handle", "lsock"}, {"address", "127.0.0.1"}, {"port", 0}});
  Do(ex, "listen", {{"handle", "lsock"}, {"backlog", 4}});
  const std::string local = b["local"];
  return std::stoi(local.substr(local.rfind(':') + 1));
}

}  // namespace lingerlab::testing_steps
