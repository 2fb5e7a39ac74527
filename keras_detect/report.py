"""Evaluation reports: markdown tables and JSON files written into the output folder."""

import os

from keras_detect import files


def write_rows(out_dir, name: str, rows: list, columns: list, heading: str) -> None:
  """rows → NAME.json and a NAME.md table (with the reasons of undefined metrics)."""
  files.write_json(os.path.join(out_dir, f"{name}.json"), rows)
  notes = sorted({r["undefined"] for r in rows if r.get("undefined")})
  files.write_text(os.path.join(out_dir, f"{name}.md"),
                   f"# {heading}\n\n" + table(rows, columns) + "".join(f"\n{n}\n" for n in notes))


def standard_report(result: dict) -> str:
  cal, at_half, at_threshold = result["calibration"], result["at_0.5"], result["at_threshold"]
  images = "aligned as in training" if result["aligned"] else "unaligned, as users send them"
  lines = [f"# Evaluation: {result['mix']}, {result['split']} split", "",
           f"Run `{result['run_dir']}`; images {images}. Threshold {cal['threshold']:.4f} "
           f"({cal.get('threshold_method')}, chosen on {cal['chosen_on']}); temperature "
           f"{cal['temperature']:.3f}: ECE {cell(at_half['overall']['ece'])} → "
           f"{cell(result['ece_after_temperature'])}.", "", "## Overall", ""]
  keys = ["examples", "real", "synthetic", "accuracy", "balanced_accuracy", "precision", "recall",
          "f1", "fpr", "fnr", "average_precision", "roc_auc", "tpr_at_1pct_fpr", "ece"]
  lines.append(table([{"metric": k, "at 0.5": at_half["overall"][k],
                        "at threshold": at_threshold["overall"][k]} for k in keys],
                      ["metric", "at 0.5", "at threshold"]))
  columns = ["group", "examples", "real", "synthetic", "roc_auc", "average_precision",
             "tpr_at_1pct_fpr", "accuracy @0.5", "accuracy", "fpr", "fnr"]
  for by, title in (("per_source", "Per source"),
                    ("per_generator", "Per generator (each against every real image)")):
    rows = [{"group": name, **values, "accuracy @0.5": at_half[by][name]["accuracy"]}
            for name, values in at_threshold[by].items()]
    undefined = ", ".join(f"{r['group']} ({r['undefined'].split(':')[0]})"
                          for r in rows if r.get("undefined"))
    lines += ["", f"## {title}", "", "Accuracy, FPR and FNR at the validated threshold.", "",
              table(rows, columns)]
    lines += [f"AUC, AP and TPR@1%FPR undefined for: {undefined}"] if undefined else []
  if "attribution" in result:
    attribution = result["attribution"]
    lines += ["", "## Generator attribution", "",
              table([attribution], ["examples", "accuracy", "balanced_accuracy", "macro_f1"])]
    if attribution["unknown_generators"]:
      lines.append(f"Not among the model's classes (left out): {attribution['unknown_generators']}")
  confusion = result["source_confusion"]
  rows = [{"predicted": c, **dict(zip(confusion["sources"], values))}
          for c, values in zip(confusion["classes"], confusion["matrix"])]
  lines += ["", "## Predicted class per test source (columns sum to 1)", "",
            table(rows, ["predicted"] + confusion["sources"]),
            "## Files the builders skipped (could not decode)", ""]
  lines += [f"- {source}: {splits}" for source, splits in result["skipped_files"].items()] or ["None."]
  lines += ["", "## Figures", ""] + [f"![{f}]({f})" for f in result["figures"]]
  return "\n".join(lines) + "\n"


def table(rows: list, columns: list) -> str:
  lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
  for row in rows:
    lines.append("| " + " | ".join(cell(row.get(c)) for c in columns) + " |")
  return "\n".join(lines) + "\n"


def cell(value) -> str:
  if value is None:
    return "n/a"
  if isinstance(value, float):
    return f"{value:.4f}"
  if isinstance(value, (list, tuple)):
    return ", ".join(map(str, value))
  return str(value)

