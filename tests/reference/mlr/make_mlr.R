# Reference values for tests/test_mlr_reference.py: robust ML (MLR) in lavaan 0.6.14.
# Run from the repository root (after python tests/reference/mlr/make_data.py, which
# wrote the data and the .lav models beside this script):
#   Rscript tests/reference/mlr/make_mlr.R
# Every model is fitted with lavaan(model, data, estimator = "MLR", ...) and lavaan's
# defaults for MLR in 0.6.14: information = "observed" (the Hessian), first-order
# meat at the model-implied moments (h1.information = "structured"), test =
# "yuan.bentler.mplus". Three fits per data set:
#   <data>_ml_<model>:       missing = "ml" (every person with an answer), meanstructure
#   <data>_cc_<model>:       complete cases only (listwise), meanstructure = TRUE
#   <data>_cfa:              the first wave's one-factor CFA on its complete cases,
#                            no mean structure (lavaan's default for complete data)
# Statistics: fitMeasures (the robust ones with their lavaan names), parameter
# estimates and SEs, standardized loadings and their SEs (standardizedSolution),
# lavTestLRT between consecutive models (Satorra-Bentler 2001, lavaan's default for
# MLR, and method = "satorra.bentler.2010"), and lavTestScore of the scalar model
# (univariate tests of the equality constraints; the row released is the later wave's).
suppressMessages(library(lavaan))
dir <- "tests/reference/mlr"
rows <- list()
add <- function(model, statistic, lhs, op, rhs, value) {
  rows[[length(rows) + 1]] <<- data.frame(model = model, statistic = statistic, lhs = lhs,
                                          op = op, rhs = rhs, value = sprintf("%.17g", value))
}
measures <- c("npar", "ntotal", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled",
              "pvalue.scaled", "chisq.scaling.factor", "baseline.chisq",
              "baseline.chisq.scaling.factor", "cfi", "tli", "rmsea", "srmr", "cfi.robust",
              "tli.robust", "rmsea.robust", "rmsea.ci.lower.robust", "rmsea.ci.upper.robust")
record <- function(name, f) {
  stopifnot(lavInspect(f, "converged"))
  fm <- fitMeasures(f, measures)
  for (k in names(fm)) add(name, k, "", "", "", fm[[k]])
  pe <- parameterEstimates(f)
  pe <- pe[pe$op != "==", ]
  add(name, "est", pe$lhs, pe$op, pe$rhs, pe$est)
  add(name, "se", pe$lhs, pe$op, pe$rhs, pe$se)
  ss <- standardizedSolution(f)
  ss <- ss[ss$op == "=~", ]
  add(name, "std_all", ss$lhs, ss$op, ss$rhs, ss$est.std)
  add(name, "std_se", ss$lhs, ss$op, ss$rhs, ss$se)
}
model_of <- function(data, model) paste(readLines(file.path(dir, paste0(data, "_", model, ".lav"))),
                                        collapse = "\n")
steps <- c("configural", "metric", "scalar", "strict")
for (data in c("kvb_tse", "sim_skew")) {
  d <- read.csv(file.path(dir, paste0(data, ".csv")))
  for (kind in c("ml", "cc")) {
    fits <- list()
    for (s in steps) {
      name <- paste0(data, "_", kind, "_", s)
      if (kind == "ml") {
        f <- lavaan(model_of(data, s), data = d, meanstructure = TRUE, estimator = "MLR",
                    missing = "ml")
      } else {
        f <- lavaan(model_of(data, s), data = d[complete.cases(d), ], meanstructure = TRUE,
                    estimator = "MLR")
      }
      record(name, f)
      fits[[s]] <- f
    }
    for (j in 2:4) {
      name <- paste0(data, "_", kind, "_", steps[j])
      for (method in c("satorra.bentler.2001", "satorra.bentler.2010")) {
        a <- lavTestLRT(fits[[j - 1]], fits[[j]], method = method)
        tag <- if (method == "satorra.bentler.2001") "lrt2001" else "lrt2010"
        add(name, paste0(tag, "_chisq_diff"), "", "", "", a[2, "Chisq diff"])
        add(name, paste0(tag, "_df_diff"), "", "", "", a[2, "Df diff"])
        add(name, paste0(tag, "_p"), "", "", "", a[2, "Pr(>Chisq)"])
      }
    }
    sc <- lavTestScore(fits[["scalar"]])$uni
    pt <- parTable(fits[["scalar"]])
    at <- match(sc$rhs, pt$plabel)
    add(paste0(data, "_", kind, "_scalar"), "score_x2", pt$lhs[at], pt$op[at], pt$rhs[at], sc$X2)
  }
  cols <- paste0(if (data == "kvb_tse") paste0("TSE0", 5:8) else paste0("y", 1:4), "_T0")
  d0 <- d[complete.cases(d[, cols]), cols]
  record(paste0(data, "_cfa"), lavaan(model_of(data, "cfa"), data = d0, estimator = "MLR"))
}
write.csv(do.call(rbind, rows), file.path(dir, "reference.csv"), row.names = FALSE)
writeLines(capture.output(sessionInfo()), file.path(dir, "sessionInfo.txt"))
