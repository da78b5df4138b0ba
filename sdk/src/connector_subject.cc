#include "inlet/connector_subject.h"

#include <stdexcept>
#include <utility>

#include "subject_channel.h"

namespace inlet {

internal::SubjectChannel& ConnectorSubject::channel() const {
  if (channel_ == nullptr) {
    throw std::logic_error(
        "ConnectorSubject: the producer API works only once a SubjectInput has started the "
        "subject (from Run, Seek or the threads Run starts)");
  }
  return *channel_;
}

void ConnectorSubject::Next(nlohmann::json fields) { channel().PushJson(std::move(fields)); }
void ConnectorSubject::NextJson(const nlohmann::json& message) { channel().PushJson(message); }
void ConnectorSubject::NextStr(std::string_view message) { channel().PushText(message); }
void ConnectorSubject::NextBytes(std::string_view message) { channel().PushText(message); }
void ConnectorSubject::Commit() { channel().Commit(); }
void ConnectorSubject::Close() { channel().Close(); }
void ConnectorSubject::ReportOffset(nlohmann::json offset) {
  channel().ReportOffset(std::move(offset));
}
bool ConnectorSubject::stop_requested() const { return channel().stop_token().stop_requested(); }
std::stop_token ConnectorSubject::stop_token() const { return channel().stop_token(); }

}  // namespace inlet
