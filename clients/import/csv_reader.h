// Reads CSV text (RFC 4180): fields separated by commas, optionally quoted
// with '"' (a doubled quote inside is one quote; quoted fields may hold
// commas and line breaks), records ended by LF or CRLF. A UTF-8 byte order
// mark at the start is skipped. The published government CSVs are read
// as they are: no field is trimmed or converted here.
#ifndef MISSIONLOG_CLIENTS_IMPORT_CSV_READER_H_
#define MISSIONLOG_CLIENTS_IMPORT_CSV_READER_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace missionlog {

// Not thread-safe. `text` must outlive the reader.
class CsvReader {
 public:
  explicit CsvReader(absl::string_view text);

  // Reads the next record into `fields`; false at the end of the text.
  // `line` is the 1-based line the record starts on. A record with an
  // unterminated quote runs to the end of the text and sets malformed().
  bool Next(std::vector<std::string>* fields, int* line);

  // Whether the last record read had a quote error (a quote opened and
  // never closed, or text right after a closing quote).
  bool malformed() const { return malformed_; }

 private:
  absl::string_view text_;
  size_t pos_ = 0;
  int line_ = 1;
  bool malformed_ = false;
};

// A whole CSV with a header row: each record as a map from column name to
// value, with its line. Columns are matched case-insensitively.
class CsvTable {
 public:
  // Reads the header; empty() if the text has none.
  explicit CsvTable(absl::string_view text);

  bool empty() const { return header_.empty(); }
  const std::vector<std::string>& header() const { return header_; }
  // The column's index, or -1.
  int Column(absl::string_view name) const;

  // As CsvReader::Next.
  bool Next(std::vector<std::string>* fields, int* line) {
    return reader_.Next(fields, line);
  }
  bool malformed() const { return reader_.malformed(); }

  // Field `column` of `fields`, or "" if the record is shorter.
  static const std::string& Field(const std::vector<std::string>& fields,
                                  int column);

 private:
  CsvReader reader_;
  std::vector<std::string> header_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_CLIENTS_IMPORT_CSV_READER_H_
