# Reference values for tests/test_fiml_reference.py: full-information ML in lavaan.
# Run from the repository root:  Rscript tests/reference/fiml/make_reference.R
# Data: drift2_missing.csv is tests/reference/invariance/drift2.csv with 8% of the
# answers removed at random, 40 persons without T1 and 5 without T0; hs_missing.csv
# is HolzingerSwineford1939 x1-x9 (lavaan, GPL) with 10% removed at random (both
# written by a seeded numpy recipe, seed 2026). The models are the .lav files beside
# this script (written by binnenuit; every parameter explicit), fitted with
# lavaan(model, data, meanstructure = TRUE, missing = "ml") and lavaan's defaults
# for it (observed information).
suppressMessages(library(lavaan))
dir <- "tests/reference/fiml"
rows <- list()
add <- function(model, statistic, lhs, op, rhs, value) {
  rows[[length(rows) + 1]] <<- data.frame(model = model, statistic = statistic, lhs = lhs,
                                          op = op, rhs = rhs, value = sprintf("%.17g", value))
}
fit_one <- function(name, data_file) {
  d <- read.csv(file.path(dir, data_file))
  m <- paste(readLines(file.path(dir, paste0(name, ".lav"))), collapse = "\n")
  f <- lavaan(m, data = d, meanstructure = TRUE, missing = "ml")
  fm <- fitMeasures(f, c("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower",
                         "rmsea.ci.upper", "srmr", "logl", "aic", "bic", "baseline.chisq",
                         "baseline.df", "ntotal"))
  for (k in names(fm)) add(name, k, "", "", "", fm[[k]])
  pe <- parameterEstimates(f)
  pe <- pe[pe$op != "==", ]
  for (i in seq_len(nrow(pe))) {
    add(name, "est", pe$lhs[i], pe$op[i], pe$rhs[i], pe$est[i])
    add(name, "se", pe$lhs[i], pe$op[i], pe$rhs[i], pe$se[i])
  }
}
for (s in c("configural", "metric", "scalar", "strict")) fit_one(paste0("drift2_", s), "drift2_missing.csv")
fit_one("hs3", "hs_missing.csv")
write.csv(do.call(rbind, rows), file.path(dir, "reference.csv"), row.names = FALSE)
writeLines(capture.output(sessionInfo()), file.path(dir, "sessionInfo.txt"))
