// templating/template_value.cc
#include "templating/template_value.h"

namespace andon::templating {

TemplateValue::Kind TemplateValue::kind() const {
  switch (rep_.index()) {
    case 0:
      return Kind::kNil;
    case 1:
      return Kind::kBool;
    case 2:
      return Kind::kInt;
    case 3:
      return Kind::kFloat;
    case 4:
    case 5:
    case 6:
      return Kind::kString;
    case 7:
      return Kind::kLabels;
    case 8:
      return Kind::kMap;
    case 9:
      return Kind::kList;
    case 10:
      return Kind::kQueryResult;
    case 11:
      return Kind::kSample;
    case 12:
      return Kind::kTime;
    case 13:
      return Kind::kAlert;
    case 14:
      return Kind::kString;  // HtmlString
    default:
      return Kind::kLabels;  // borrowed
  }
}

std::string_view TemplateValue::string_value() const {
  if (const auto* v = std::get_if<std::string_view>(&rep_)) return *v;
  if (const auto* v = std::get_if<LabelRef>(&rep_)) return v->value;
  if (const auto* v = std::get_if<HtmlString>(&rep_)) return v->s;
  return std::get<std::string>(rep_);
}

std::string_view TemplateValue::GoTypeName() const {
  switch (kind()) {
    case Kind::kNil:
      return "<nil>";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float64";
    case Kind::kString:
      return std::holds_alternative<HtmlString>(rep_) ? "template.HTML" : "string";
    case Kind::kLabels:
      return "map[string]string";
    case Kind::kMap:
      return "map[string]interface {}";
    case Kind::kList:
      return "[]interface {}";
    case Kind::kQueryResult:
      return "template.queryResult";
    case Kind::kSample:
      return "*template.sample";
    case Kind::kTime:
      return "*time.Time";
    case Kind::kAlert:
      return "struct { Labels map[string]string; ExternalLabels map[string]string; "
             "ExternalURL string; Value float64 }";
  }
  return "";
}

int64_t TemplateValue::Length() const {
  switch (kind()) {
    case Kind::kString:
      return static_cast<int64_t>(string_value().size());
    case Kind::kLabels:
      return static_cast<int64_t>(labels_value().size());
    case Kind::kMap:
      return static_cast<int64_t>(map_value().size());
    case Kind::kList:
      return static_cast<int64_t>(list_value().size());
    case Kind::kQueryResult:
      return static_cast<int64_t>(query_value()->size());
    default:
      return -1;
  }
}

bool IsTrue(const TemplateValue& v) {
  switch (v.kind()) {
    case TemplateValue::Kind::kNil:
      return false;
    case TemplateValue::Kind::kBool:
      return v.bool_value();
    case TemplateValue::Kind::kInt:
      return v.int_value() != 0;
    case TemplateValue::Kind::kFloat:
      return v.float_value() != 0;
    case TemplateValue::Kind::kString:
    case TemplateValue::Kind::kLabels:
    case TemplateValue::Kind::kMap:
    case TemplateValue::Kind::kList:
      return v.Length() > 0;
    case TemplateValue::Kind::kQueryResult:
      return v.query_value() != nullptr && !v.query_value()->empty();
    default:
      return true;
  }
}

}  // namespace andon::templating
