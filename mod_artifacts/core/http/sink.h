// A byte sink the core renders into; the httpd glue adapts it to a bucket brigade,
// the unit tests to a std::string. Renderers write small pieces and never hold a whole page.
#pragma once

#include <string>
#include <string_view>

namespace artifacts {

class Sink {
public:
    virtual ~Sink() = default;
    virtual void write(std::string_view bytes) = 0;
};

class StringSink final : public Sink {
public:
    void write(std::string_view bytes) override { out_.append(bytes); }
    const std::string& str() const { return out_; }

private:
    std::string out_;
};

}  // namespace artifacts
