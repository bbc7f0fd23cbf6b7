#include "clients/import/csv_reader.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace missionlog {

CsvReader::CsvReader(absl::string_view text) : text_(text) {
  if (absl::StartsWith(text_, "\xEF\xBB\xBF")) pos_ = 3;
}

bool CsvReader::Next(std::vector<std::string>* fields, int* line) {
  fields->clear();
  malformed_ = false;
  if (pos_ >= text_.size()) return false;
  *line = line_;
  std::string field;
  bool quoted = false;       // inside quotes
  bool after_quote = false;  // the field's closing quote has been read
  while (pos_ < text_.size()) {
    const char c = text_[pos_++];
    if (quoted) {
      if (c == '"') {
        if (pos_ < text_.size() && text_[pos_] == '"') {
          field.push_back('"');
          ++pos_;
        } else {
          quoted = false;
          after_quote = true;
        }
      } else {
        if (c == '\n') ++line_;
        field.push_back(c);
      }
      continue;
    }
    if (c == ',') {
      fields->push_back(std::move(field));
      field.clear();
      after_quote = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
      ++line_;
      fields->push_back(std::move(field));
      return true;
    } else if (c == '"' && field.empty() && !after_quote) {
      quoted = true;
    } else {
      if (after_quote) malformed_ = true;
      field.push_back(c);
    }
  }
  if (quoted) malformed_ = true;
  fields->push_back(std::move(field));
  return true;
}

CsvTable::CsvTable(absl::string_view text) : reader_(text) {
  int line = 0;
  if (!reader_.Next(&header_, &line)) header_.clear();
  for (std::string& name : header_) {
    name = std::string(absl::StripAsciiWhitespace(name));
  }
}

int CsvTable::Column(absl::string_view name) const {
  for (size_t i = 0; i < header_.size(); ++i) {
    if (absl::EqualsIgnoreCase(header_[i], name)) return static_cast<int>(i);
  }
  return -1;
}

const std::string& CsvTable::Field(const std::vector<std::string>& fields,
                                   int column) {
  static const std::string* const kEmpty = new std::string();
  if (column < 0 || static_cast<size_t>(column) >= fields.size()) {
    return *kEmpty;
  }
  return fields[static_cast<size_t>(column)];
}

}  // namespace missionlog
