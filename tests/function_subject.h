// A `ConnectorSubject` whose `Run`, `Seek` and `OnStop` are functions given by
// the test, with the producer API made public so those functions can call it.

#ifndef INLET_TESTS_FUNCTION_SUBJECT_H_
#define INLET_TESTS_FUNCTION_SUBJECT_H_

#include <functional>
#include <utility>

#include "inlet/connector_subject.h"
#include "nlohmann/json.hpp"

namespace inlet_test {

class FunctionSubject final : public inlet::ConnectorSubject {
 public:
  using Body = std::function<void(FunctionSubject&)>;

  explicit FunctionSubject(Body run, std::function<void(const nlohmann::json&)> seek = nullptr,
                           std::function<void()> on_stop = nullptr)
      : run_(std::move(run)), seek_(std::move(seek)), on_stop_(std::move(on_stop)) {}

  void Run() override { run_(*this); }
  void Seek(const nlohmann::json& offset) override {
    if (seek_) seek_(offset);
  }
  void OnStop() override {
    if (on_stop_) on_stop_();
  }

  using ConnectorSubject::Close;
  using ConnectorSubject::Commit;
  using ConnectorSubject::Next;
  using ConnectorSubject::NextBytes;
  using ConnectorSubject::NextJson;
  using ConnectorSubject::NextStr;
  using ConnectorSubject::ReportOffset;
  using ConnectorSubject::stop_requested;
  using ConnectorSubject::stop_token;

 private:
  Body run_;
  std::function<void(const nlohmann::json&)> seek_;
  std::function<void()> on_stop_;
};

}  // namespace inlet_test

#endif  // INLET_TESTS_FUNCTION_SUBJECT_H_
