#include "suite/expect/article_tables.h"

#include <cstdio>

namespace lingerlab {
namespace {

using nlohmann::json;

std::string Display(const json& v) {
  if (v.is_boolean()) return v.get<bool>() ? "Yes" : "No";
  if (v.is_number()) {
    // Three significant digits: the article's "20" and "0.2", and measured
    // times without timer noise (20.013 -> "20").
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", v.get<double>());
    return buf;
  }
  if (v.is_null()) return "null";
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

// The values of `claim` across `ids` (those present), as one cell.
ArticleCell Combine(const CaseClaims& claims, const std::vector<std::string>& ids,
                    const std::string& claim) {
  ArticleCell cell;
  std::vector<std::pair<std::string, std::string>> shown;  // (id, text)
  for (const std::string& id : ids) {
    auto it = claims.find(id);
    if (it == claims.end() || !it->second.is_object() || !it->second.contains(claim)) continue;
    cell.inputs.emplace_back(id, claim);
    shown.emplace_back(id, Display(it->second.at(claim)));
  }
  if (shown.empty()) {
    cell.text = "—";
    return cell;
  }
  bool agree = true;
  for (const auto& s : shown) agree &= s.second == shown.front().second;
  if (agree) {
    cell.text = shown.front().second;
    return cell;
  }
  for (const auto& [id, text] : shown) {
    cell.text += (cell.text.empty() ? "" : " / ") + text + " (#" + id + ")";
  }
  return cell;
}

void Append(ArticleCell& to, const ArticleCell& from) {
  to.inputs.insert(to.inputs.end(), from.inputs.begin(), from.inputs.end());
}

}  // namespace

CaseClaims ClaimsOfTable(const ExpectedTable& table) {
  CaseClaims out;
  for (const auto& [id, expectations] : table.cases) {
    json& claims = out[id] = json::object();
    for (const Expectation& e : expectations) claims[e.claim] = e.value;
  }
  return out;
}

CaseClaims ClaimsOfResults(const json& results_doc) {
  CaseClaims out;
  if (!results_doc.contains("cases") || !results_doc.at("cases").is_array()) return out;
  for (const json& c : results_doc.at("cases")) {
    if (!c.is_object() || !c.contains("id") || !c.at("id").is_string()) continue;
    const json* claims = nullptr;
    if (c.contains("outcome") && c.at("outcome").is_object() &&
        c.at("outcome").contains("claims")) {
      claims = &c.at("outcome").at("claims");
    }
    out[c.at("id").get<std::string>()] = claims && claims->is_object() ? *claims : json::object();
  }
  return out;
}

const std::vector<std::string>& OnZeroHeadings() {
  static const std::vector<std::string> kHeadings = {
      "Abort on close(): Listening Socket", "Abort on close(): Connected Socket",
      "Abort on close() after shutdown(): Listening Socket",
      "Abort on close() after shutdown(): Connected Socket"};
  return kHeadings;
}

const std::vector<std::string>& OnTwentyHeadings() {
  static const std::vector<std::string> kHeadings = {
      "Block on close()", "Time spent blocking (secs)", "Abort on linger timeout",
      "Return EWOULDBLOCK on linger timeout"};
  return kHeadings;
}

std::vector<ArticleCell> OnZeroRow(const CaseClaims& claims, const SummaryTableCases& cases) {
  return {Combine(claims, cases.on_zero_listening, "abort_on_close"),
          Combine(claims, cases.on_zero_connected, "abort_on_close"),
          Combine(claims, cases.on_zero_listening_after_shutdown, "abort_on_close"),
          Combine(claims, cases.on_zero_connected_after_shutdown, "abort_on_close")};
}

std::vector<ArticleCell> OnTwentyRow(const CaseClaims& claims, const SummaryTableCases& cases) {
  std::vector<ArticleCell> row;
  const std::vector<std::string>& no_shutdown = cases.on_twenty;
  const std::vector<std::string>& after_shutdown_ids = cases.on_twenty_after_shutdown;

  ArticleCell block = Combine(claims, no_shutdown, "close_blocks");
  const ArticleCell after_shutdown = Combine(claims, after_shutdown_ids, "close_blocks");
  Append(block, after_shutdown);
  if (after_shutdown.text != "—" && after_shutdown.text != block.text) {
    // The article's "*": blocks without shutdown(), not after it.
    block.text = block.text == "Yes" && after_shutdown.text == "No"
                     ? "Yes *"
                     : block.text + " (after shutdown(): " + after_shutdown.text + ")";
  }
  row.push_back(block);

  ArticleCell time = Combine(claims, no_shutdown, "close_blocked_s");
  if (time.text == "—") {
    const ArticleCell ended = Combine(claims, no_shutdown, "close_ended_by");
    if (ended.text == "peer_acked") time = ArticleCell{"Until FIN is ACK'd", ended.inputs};
  }
  row.push_back(time);

  row.push_back(Combine(claims, no_shutdown, "abort_on_linger_timeout"));
  row.push_back(Combine(claims, no_shutdown, "ewouldblock_on_linger_timeout"));
  return row;
}

}  // namespace lingerlab
