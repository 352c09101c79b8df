# Reference values for binnenuit's ML confirmatory factor analysis (lavaan) and the
# exploratory-factor-analysis helpers (psych).
#
# Run from the repository root:  Rscript tests/reference/cfa/make_reference.R
# (R 4.2.2, lavaan 0.6-14, psych 2.2.9, GPArotation; see sessionInfo.txt)
#
# Data sets (written beside this script)
# - hs.csv: x1-x9 of lavaan's HolzingerSwineford1939 (N = 301), package data of the R
#   package lavaan (GPL-2 | GPL-3).
# - sim3.csv: simulated here with set.seed(2026). N = 400, items y1-y12, three
#   correlated standard-normal factors (F1: y1-y4, F2: y5-y8, F3: y9-y12),
#   standardized loadings .8 .7 .6 .5 within each factor, factor correlations
#   r(F1,F2) = .3, r(F1,F3) = .4, r(F2,F3) = .5, normal residuals with variance
#   1 - loading^2 (so every item has population mean 0 and variance 1), values
#   rounded to 6 decimals. The models are fitted to the rounded values read back
#   from the CSV.
#
# Models (all cfa(..., std.lv = TRUE): estimator ML, likelihood "normal", i.e. the
# covariance matrix divided by N, complete data, no mean structure)
# - hs3:       visual =~ x1+x2+x3; textual =~ x4+x5+x6; speed =~ x7+x8+x9
# - hs_visual: visual =~ x1+x2+x3 (just identified, df = 0)
# - hs_speed1: f =~ x4+...+x9 (one factor on 6 items, misfits)
# - sim3:      the true 3-factor model;  sim1: one factor on y1-y12 (misfits)
# The lavaan syntax of every model is written to <model>.lav.
#
# Output: reference.csv with columns model,statistic,lhs,op,rhs,value; values printed
# with sprintf("%.17g") (NA where lavaan reports NA, e.g. std_se of fixed parameters).
# statistic is one of
# - fit measures (lhs/op/rhs empty): npar chisq df pvalue cfi tli rmsea rmsea.ci.lower
#   rmsea.ci.upper srmr aic bic logl baseline.chisq baseline.df nobs
# - est, se (parameterEstimates), std, std_se (standardizedSolution, type "std.all":
#   est.std and its delta-method se) for every parameter-table row
# - hs3 only: mi, epc for the 10 largest modification indices
#   (modificationIndices(fit, sort. = TRUE)); resid_cor: residuals(fit, type = "cor")$cov
#   (= type "cor.bollen": observed correlations minus model-implied correlations),
#   strictly lower triangle, lhs = row variable, op "~~", rhs = column variable;
#   resid_cor_bentler: the same from lavResiduals(fit)$cov (type "cor.bentler", both
#   matrices scaled by the observed SDs; this is what srmr is based on).
# - EFA (model = efa_<dataset>, lhs/op/rhs empty unless noted): kmo (psych::KMO overall
#   MSA), kmo_item (lhs = item), bartlett_chisq/bartlett_df/bartlett_p
#   (psych::cortest.bartlett(cor(x), n = nrow(x))).
# - EFA solutions, model = efa_<dataset>_<fm>_<rotate> for fm in minres, ml and rotate in
#   oblimin, promax, geominQ, psych::fa(x, nfactors = 3, fm, rotate):
#   fa_loading (lhs = item, op empty, rhs = factor column name),
#   fa_phi (lhs, rhs = factor names, full 3x3 matrix), fa_communality (lhs = item).
#   NOTE: psych names factors MR1.. (minres) / ML1.. (ml) and sorts the factor columns
#   by variance explained (sum of squared loadings, including the factor-correlation
#   part for oblique solutions), so MR1 is not necessarily the factor of x1/y1;
#   the signs follow psych's convention (each factor's loadings sum positive).
suppressMessages({library(lavaan); library(psych); library(GPArotation)})
dir <- "tests/reference/cfa"

# ---- data ------------------------------------------------------------------------
hs <- HolzingerSwineford1939[, paste0("x", 1:9)]
write.csv(hs, file.path(dir, "hs.csv"), row.names = FALSE)
hs <- read.csv(file.path(dir, "hs.csv"))  # fit exactly what the CSV holds (15 digits)

set.seed(2026)
n <- 400
lam <- c(.8, .7, .6, .5)
Lambda <- matrix(0, 12, 3)
for (f in 1:3) Lambda[(f - 1) * 4 + 1:4, f] <- lam
Phi <- matrix(c(1, .3, .4,
                .3, 1, .5,
                .4, .5, 1), 3, 3)
eta <- matrix(rnorm(n * 3), n, 3) %*% chol(Phi)          # factors ~ N(0, Phi)
theta <- 1 - rowSums(Lambda^2)                              # residual variances
eps <- matrix(rnorm(n * 12), n, 12) %*% diag(sqrt(theta))  # normal residuals
y <- eta %*% t(Lambda) + eps
colnames(y) <- paste0("y", 1:12)
write.csv(as.data.frame(round(y, 6)), file.path(dir, "sim3.csv"), row.names = FALSE)
sim <- read.csv(file.path(dir, "sim3.csv"))

# ---- output helpers ----------------------------------------------------------------
rows <- list()
add <- function(model, statistic, lhs, op, rhs, value) {
  rows[[length(rows) + 1]] <<- data.frame(model = model, statistic = statistic,
    lhs = lhs, op = op, rhs = rhs, value = sprintf("%.17g", as.numeric(value)),
    stringsAsFactors = FALSE)
}
fm_names <- c("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower",
              "rmsea.ci.upper", "srmr", "aic", "bic", "logl", "baseline.chisq",
              "baseline.df")

fit_model <- function(name, syntax, data) {
  writeLines(syntax, file.path(dir, paste0(name, ".lav")))
  fit <- cfa(syntax, data = data, std.lv = TRUE)
  stopifnot(lavInspect(fit, "converged"))
  fm <- fitMeasures(fit, fm_names)
  for (s in fm_names) add(name, s, "", "", "", fm[[s]])
  add(name, "nobs", "", "", "", lavInspect(fit, "nobs"))
  pe <- parameterEstimates(fit)
  add(name, "est", pe$lhs, pe$op, pe$rhs, pe$est)
  add(name, "se", pe$lhs, pe$op, pe$rhs, pe$se)
  ss <- standardizedSolution(fit)
  add(name, "std", ss$lhs, ss$op, ss$rhs, ss$est.std)
  add(name, "std_se", ss$lhs, ss$op, ss$rhs, ss$se)
  fit
}

# ---- CFA ---------------------------------------------------------------------------
hs3 <- fit_model("hs3", paste("visual =~ x1 + x2 + x3",
                              "textual =~ x4 + x5 + x6",
                              "speed =~ x7 + x8 + x9", sep = "\n"), hs)
invisible(fit_model("hs_visual", "visual =~ x1 + x2 + x3", hs))
invisible(fit_model("hs_speed1", "f =~ x4 + x5 + x6 + x7 + x8 + x9", hs))
invisible(fit_model("sim3", paste("F1 =~ y1 + y2 + y3 + y4",
                        "F2 =~ y5 + y6 + y7 + y8",
                        "F3 =~ y9 + y10 + y11 + y12", sep = "\n"), sim))
invisible(fit_model("sim1", paste("F =~", paste0("y", 1:12, collapse = " + ")), sim))

mi <- head(modificationIndices(hs3, sort. = TRUE), 10)
add("hs3", "mi", mi$lhs, mi$op, mi$rhs, mi$mi)
add("hs3", "epc", mi$lhs, mi$op, mi$rhs, mi$epc)

lower <- function(m) {
  idx <- which(lower.tri(m), arr.ind = TRUE)
  list(lhs = rownames(m)[idx[, 1]], rhs = colnames(m)[idx[, 2]], value = m[idx])
}
rc <- lower(residuals(hs3, type = "cor")$cov)
add("hs3", "resid_cor", rc$lhs, "~~", rc$rhs, rc$value)
rb <- lower(lavResiduals(hs3)$cov)
add("hs3", "resid_cor_bentler", rb$lhs, "~~", rb$rhs, rb$value)

# ---- EFA ---------------------------------------------------------------------------
for (ds in list(list("hs", hs), list("sim3", sim))) {
  x <- ds[[2]]
  base <- paste("efa", ds[[1]], sep = "_")
  k <- KMO(x)
  add(base, "kmo", "", "", "", k$MSA)
  add(base, "kmo_item", names(k$MSAi), "", "", k$MSAi)
  b <- cortest.bartlett(cor(x), n = nrow(x))
  add(base, "bartlett_chisq", "", "", "", b$chisq)
  add(base, "bartlett_df", "", "", "", b$df)
  add(base, "bartlett_p", "", "", "", b$p.value)
  for (fm in c("minres", "ml")) for (rot in c("oblimin", "promax", "geominQ")) {
    name <- paste("efa", ds[[1]], fm, rot, sep = "_")
    f <- fa(x, nfactors = 3, fm = fm, rotate = rot)
    L <- unclass(f$loadings)
    idx <- expand.grid(i = seq_len(nrow(L)), j = seq_len(ncol(L)))
    add(name, "fa_loading", rownames(L)[idx$i], "", colnames(L)[idx$j],
        L[cbind(idx$i, idx$j)])
    P <- f$Phi
    dimnames(P) <- list(colnames(L), colnames(L))
    idx <- expand.grid(i = seq_len(nrow(P)), j = seq_len(ncol(P)))
    add(name, "fa_phi", rownames(P)[idx$i], "", colnames(P)[idx$j], P[cbind(idx$i, idx$j)])
    add(name, "fa_communality", names(f$communality), "", "", f$communality)
  }
}

out <- do.call(rbind, rows)
write.csv(out, file.path(dir, "reference.csv"), row.names = FALSE)
writeLines(capture.output(sessionInfo()), file.path(dir, "sessionInfo.txt"))
