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

void ConnectorSubject::Next(nlohmann::json fields) {
  internal::SubjectChannel& to = channel();
  to.Push(to.decoder().FromJson(std::move(fields)));
}

void ConnectorSubject::NextJson(const nlohmann::json& message) {
  internal::SubjectChannel& to = channel();
  to.Push(to.decoder().FromJson(message));
}

void ConnectorSubject::NextStr(std::string message) {
  internal::SubjectChannel& to = channel();
  to.Push(to.decoder().FromText(std::move(message)));
}

void ConnectorSubject::NextBytes(std::string_view message) {
  internal::SubjectChannel& to = channel();
  to.Push(to.decoder().FromBytes(message));
}

void ConnectorSubject::Commit() { channel().Commit(); }
void ConnectorSubject::Close() { channel().Close(); }
void ConnectorSubject::ReportOffset(nlohmann::json offset) {
  channel().ReportOffset(std::move(offset));
}
bool ConnectorSubject::stop_requested() const { return channel().stop_token().stop_requested(); }
std::stop_token ConnectorSubject::stop_token() const { return channel().stop_token(); }

}  // namespace inlet
