# Reference values for tests/test_reliability_reference.py.
# Run from the repository root:  Rscript tests/reference/reliability/make_reference.R
#
# Data sets
# - congeneric.csv: simulated (N = 500, 6 items, loadings .9 .8 .7 .6 .5 .4, residual
#   variances .5; population omega .835), written by the test module's docstring recipe.
# - bfi_ac.csv: the agreeableness and conscientiousness items (A1-A5, C1-C5) of
#   psych::bfi (2,800 persons, 1-6 Likert, with missing answers), from the R package
#   psych 2.2.9 (GPL-2 | GPL-3; data from the SAPA project, Revelle et al.).
#   Reversed items: A1, C4, C5 (as psych's bfi.keys).
# - HolzingerSwineford1939 x4-x6 (textual ability; lavaan, GPL), hs_textual.csv.
#
# Output: reference.csv, long format (dataset, scale, missing, statistic, item, value),
# values printed with 17 significant digits.
suppressMessages({library(psych); library(lavaan); library(semTools)})
dir <- "tests/reference/reliability"
data(bfi, package = "psych")
write.csv(bfi[, c(paste0("A", 1:5), paste0("C", 1:5))], file.path(dir, "bfi_ac.csv"),
          row.names = FALSE, na = "")
write.csv(HolzingerSwineford1939[, paste0("x", 4:6)], file.path(dir, "hs_textual.csv"),
          row.names = FALSE)

rows <- list()
add <- function(dataset, scale, missing, statistic, item, value) {
  rows[[length(rows) + 1]] <<- data.frame(dataset = dataset, scale = scale, missing = missing,
    statistic = statistic, item = item, value = sprintf("%.17g", value))
}

reverse <- function(d, rev, min, max) { for (r in rev) d[[r]] <- min + max - d[[r]]; d }

one_scale <- function(dataset, scale, d, missing) {
  x <- if (missing == "listwise") na.omit(d) else d
  a <- psych::alpha(x, check.keys = FALSE, warnings = FALSE)
  add(dataset, scale, missing, "alpha", "", a$total$raw_alpha)
  add(dataset, scale, missing, "alpha_std", "", a$total$std.alpha)
  add(dataset, scale, missing, "feldt_lower", "", a$feldt$lower.ci)
  add(dataset, scale, missing, "feldt_upper", "", a$feldt$upper.ci)
  add(dataset, scale, missing, "n_feldt", "", a$nvar * 0 + nrow(x))
  for (it in colnames(d)) {
    add(dataset, scale, missing, "item_rest_r", it, a$item.stats[it, "r.drop"])
    add(dataset, scale, missing, "alpha_if_deleted", it, a$alpha.drop[it, "raw_alpha"])
    add(dataset, scale, missing, "mean", it, a$item.stats[it, "mean"])
    add(dataset, scale, missing, "sd", it, a$item.stats[it, "sd"])
  }
  if (missing == "listwise" && ncol(d) >= 3) {
    model <- paste("f =~", paste(colnames(d), collapse = " + "))
    fit <- cfa(model, data = x, std.lv = TRUE)  # ML, listwise complete cases
    add(dataset, scale, missing, "omega_total", "", compRelSEM(fit))
    fm <- fitMeasures(fit, c("chisq", "df", "cfi", "tli", "rmsea", "rmsea.ci.lower",
                             "rmsea.ci.upper", "srmr"))
    for (nm in names(fm)) add(dataset, scale, missing, paste0("cfa_", nm), "", fm[[nm]])
    std <- standardizedSolution(fit)
    std <- std[std$op == "=~", ]
    for (k in seq_len(nrow(std))) add(dataset, scale, missing, "std_loading", std$rhs[k], std$est.std[k])
  }
}

cg <- read.csv(file.path(dir, "congeneric.csv"))
one_scale("congeneric", "y", cg, "listwise")
hs <- read.csv(file.path(dir, "hs_textual.csv"))
one_scale("hs_textual", "textual", hs, "listwise")
bfi_ac <- read.csv(file.path(dir, "bfi_ac.csv"))
A <- reverse(bfi_ac[, paste0("A", 1:5)], "A1", 1, 6)
C <- reverse(bfi_ac[, paste0("C", 1:5)], c("C4", "C5"), 1, 6)
for (m in c("listwise", "pairwise")) {
  one_scale("bfi", "agreeableness", A, m)
  one_scale("bfi", "conscientiousness", C, m)
}
out <- do.call(rbind, rows)
write.csv(out, file.path(dir, "reference.csv"), row.names = FALSE)
writeLines(capture.output(sessionInfo()), file.path(dir, "sessionInfo.txt"))

# Ordinal alpha and omega (Zumbo, Gadermann & Zeisser 2007) on the bfi scales:
# psych::polychoric (two-step, global thresholds), alpha on that matrix, and omega of
# the one-factor ML model fitted to it with n = complete cases.
ord <- list()
for (sc in list(list("agreeableness", A), list("conscientiousness", C))) {
  pc <- polychoric(sc[[2]])$rho
  n <- nrow(na.omit(sc[[2]]))
  model <- paste("f =~", paste(colnames(pc), collapse = " + "))
  fit <- cfa(model, sample.cov = pc, sample.nobs = n, std.lv = TRUE)
  r <- data.frame(scale = sc[[1]], statistic = c("ordinal_alpha", "ordinal_omega"), item = "",
                  value = sprintf("%.17g", c(psych::alpha(pc)$total$raw_alpha, compRelSEM(fit))))
  idx <- which(lower.tri(pc), arr.ind = TRUE)
  r <- rbind(r, data.frame(scale = sc[[1]], statistic = "polychoric",
                           item = paste(colnames(pc)[idx[, 1]], colnames(pc)[idx[, 2]], sep = "~"),
                           value = sprintf("%.17g", pc[idx])))
  ord[[length(ord) + 1]] <- r
}
write.csv(do.call(rbind, ord), file.path(dir, "ordinal_reference.csv"), row.names = FALSE)

# Omega hierarchical (Schmid-Leiman) with psych::omega (minres, oblimin, 3 factors) on
# HolzingerSwineford1939 x1-x9 (lavaan, GPL) and on bifactor.csv (simulated: N = 1000,
# general loadings .6, group loadings .5/.4/.45 in 3 groups of 3; population omega_h
# printed by the recipe in tests/test_reliability_reference.py).
hs9 <- HolzingerSwineford1939[, paste0("x", 1:9)]
write.csv(hs9, file.path(dir, "hs_nine.csv"), row.names = FALSE)
bif <- read.csv(file.path(dir, "bifactor.csv"))
oh <- list()
for (ds in list(list("hs_nine", hs9), list("bifactor", bif))) {
  om <- omega(ds[[2]], nfactors = 3, fm = "minres", rotate = "oblimin", plot = FALSE)
  oh[[length(oh) + 1]] <- data.frame(dataset = ds[[1]],
    statistic = c("omega_h", "omega_total", rep("g_loading", ncol(ds[[2]]))),
    item = c("", "", colnames(ds[[2]])),
    value = sprintf("%.17g", c(om$omega_h, om$omega.tot, om$schmid$sl[, "g"])))
}
write.csv(do.call(rbind, oh), file.path(dir, "omega_h_reference.csv"), row.names = FALSE)
