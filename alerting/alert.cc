#include "alerting/alert.h"

namespace andon::alerting {

void AddExternalLabels(const Labels& external, std::vector<Alert>* alerts) {
  if (external.empty()) return;
  LabelsBuilder b;
  for (Alert& a : *alerts) {
    b.Reset(a.labels);
    for (const Label& l : external) {
      if (!a.labels.Has(l.name)) b.Set(l.name, l.value);
    }
    a.labels = b.Build();
  }
}

}  // namespace andon::alerting
