# Reference values for binnenuit's ordinal (WLSMV) engine: thresholds, polychoric
# correlations and their asymptotic covariance (Muthen 1984), single-group DWLS CFA
# (delta parameterization, robust SEs, scaled-shifted test) and the Wu & Estabrook (2016)
# longitudinal invariance sequence of semTools::measEq.syntax(ID.cat = "Wu.Estabrook.2016").
#
# Run from the repository root:  Rscript tests/reference/ordinal/make_ordinal.R
# (R 4.2.2, lavaan 0.6-14, semTools 0.5-6; see sessionInfo.txt)
#
# Data sets (written beside this script; all models are fitted to the CSV as read back)
# - kvb_autsat.csv: the example study (psychometrics/data/kvb_example.csv), autonomy
#   satisfaction items BPN01..BPN04, wide by teacher (columns BPN0k_T0, BPN0k_T1), the
#   teachers who answered all 8 (listwise, lavaan's default for WLSMV). The 5-point items
#   were answered on 4 points (2..5) except one "1" (BPN04 at T1), which is recoded to 2
#   so that every item has the same 4 categories at both waves (needed for equal
#   thresholds).
# - sim_ord.csv: simulated here (set.seed(1984)), N = 500, items y1..y4 at two waves
#   (y1_T0..y4_T1), 4 categories (1..4). Latent responses y* = lambda eta + e with
#   standardized loadings .8 .7 .6 .7 at both waves, eta_T0 ~ N(0, 1), eta_T1 ~ N(.3, 1),
#   corr .6; the same item's residuals correlate .2 across the waves. Thresholds (on y*,
#   unit variance at T0): y1 (-1.0, 0.0, 1.0), y2 (-0.5, 0.3, 1.2), y3 (-1.2, -0.2, 0.8),
#   y4 (-0.8, 0.2, 1.5), the same at both waves.
#
# Output: reference.csv (model, statistic, lhs, op, rhs, value; "%.17g"):
# - th, polychoric: lavInspect(fit, "sampstat") of the configural model (all 8 items);
#   gamma_<case>.csv: lavInspect(fit, "gamma") (NACOV, N times the ACM of th + cor).
# - per model: est, se of every parameterEstimates row; std (std.all) and std_se of the
#   loadings; fitMeasures: chisq df pvalue cfi tli rmsea baseline.df chisq.scaled df.scaled pvalue.scaled
#   chisq.scaling.factor cfi.scaled tli.scaled rmsea.scaled
#   cfi.robust tli.robust rmsea.robust srmr baseline.chisq baseline.chisq.scaled ntotal npar, and
#   shift.parameter (fit@test[[2]]$shift.parameter: fitMeasures does not list it)
# - lrt_*: lavTestLRT(less, more) (lavaan's default for WLSMV: method "satorra.2000",
#   scaled.shifted): chisq_diff, df_diff, p, for each step against the previous.
# Models (prefix kvb_ or sim_):
#   onefactor_T0: F =~ the 4 items at T0, ordered, estimator WLSMV (std.lv = TRUE).
#   onefactor_all: F =~ all 8 columns (both waves), a model that misfits.
#   Every model also stores catml_XX3, catml_df3, catml_c.hat3, catml_XX3.null,
#   catml_df3.null, catml_c.hat3.null: lavaan:::lav_fit_catml_dwls(fit), the pieces of
#   lavaan's robust CFI/TLI/RMSEA for ordered items.
#   configural, thresholds, metric, scalar: measEq.syntax(configural.model, data,
#     ordered = <all>, parameterization = "delta", ID.fac = "std.lv",
#     ID.cat = "Wu.Estabrook.2016", longFacNames = list(F = c("F_T0", "F_T1")),
#     longIndNames = list(<item> = <2 columns>), auto = 1, long.equal = ...,
#     estimator = "WLSMV", return.fit = TRUE) with long.equal character(0),
#     "thresholds", c("thresholds", "loadings"), c("thresholds", "loadings", "intercepts").
#   scalar_theta, strict_theta: the same under parameterization = "theta", strict adding
#     "residuals" (semTools does not equate residual variances under delta).
#   <model>_partable.csv: parTable(fit) (lhs op rhs free label plabel ustart), so the
#   engine can be checked on exactly lavaan's model; <model>.lav: the syntax.
suppressMessages({library(lavaan); library(semTools)})
dir <- "tests/reference/ordinal"
out <- list()
add <- function(model, statistic, value, lhs = "", op = "", rhs = "") {
  out[[length(out) + 1L]] <<- data.frame(model = model, statistic = statistic, lhs = lhs,
                                         op = op, rhs = rhs, value = sprintf("%.17g", value))
}

# ---- data -------------------------------------------------------------------------
kvb <- read.csv("psychometrics/data/kvb_example.csv")
items <- paste0("BPN0", 1:4)
t0 <- kvb[kvb$wave == "T0", c("teacher", items)]
t1 <- kvb[kvb$wave == "T1", c("teacher", items)]
names(t0)[-1] <- paste0(items, "_T0"); names(t1)[-1] <- paste0(items, "_T1")
wide <- merge(t0, t1, by = "teacher")
wide <- wide[complete.cases(wide), ]
for (v in names(wide)[-1]) wide[[v]][wide[[v]] == 1] <- 2
write.csv(wide, file.path(dir, "kvb_autsat.csv"), row.names = FALSE)

set.seed(1984)
n <- 500
lam <- c(.8, .7, .6, .7)
tau <- rbind(c(-1, 0, 1), c(-.5, .3, 1.2), c(-1.2, -.2, .8), c(-.8, .2, 1.5))
eta <- MASS::mvrnorm(n, c(0, .3), matrix(c(1, .6, .6, 1), 2))
sim <- data.frame(id = 1:n)
res <- lapply(1:4, function(i) MASS::mvrnorm(n, c(0, 0), (1 - lam[i]^2) * matrix(c(1, .2, .2, 1), 2)))
for (w in 1:2) for (i in 1:4) {
  ystar <- lam[i] * eta[, w] + res[[i]][, w]
  sim[[paste0("y", i, "_T", w - 1)]] <- findInterval(ystar, tau[i, ]) + 1L
}
write.csv(sim, file.path(dir, "sim_ord.csv"), row.names = FALSE)

# ---- models -------------------------------------------------------------------------
fm <- c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "baseline.df", "chisq.scaled", "df.scaled", "pvalue.scaled", "chisq.scaling.factor",
        "cfi.scaled", "tli.scaled", "rmsea.scaled", "cfi.robust",
        "tli.robust", "rmsea.robust", "srmr", "baseline.chisq", "baseline.chisq.scaled",
        "ntotal", "npar")
record <- function(model, fit) {
  f <- fitMeasures(fit, fm)
  for (s in fm) add(model, s, f[[s]])
  add(model, "shift.parameter", fit@test[[2]]$shift.parameter)
  cm <- lavaan:::lav_fit_catml_dwls(fit)  # the pieces of the robust CFI/TLI/RMSEA
  for (k in c("XX3", "df3", "c.hat3", "XX3.null", "df3.null", "c.hat3.null"))
    add(model, paste0("catml_", k), cm[[k]])
  pe <- parameterEstimates(fit)
  for (k in seq_len(nrow(pe))) {
    add(model, "est", pe$est[k], pe$lhs[k], pe$op[k], pe$rhs[k])
    add(model, "se", pe$se[k], pe$lhs[k], pe$op[k], pe$rhs[k])
  }
  ss <- standardizedSolution(fit)
  ss <- ss[ss$op == "=~", ]
  for (k in seq_len(nrow(ss))) {
    add(model, "std", ss$est.std[k], ss$lhs[k], ss$op[k], ss$rhs[k])
    add(model, "std_se", ss$se[k], ss$lhs[k], ss$op[k], ss$rhs[k])
  }
  pt <- parTable(fit)
  write.csv(pt[, c("lhs", "op", "rhs", "free", "label", "plabel", "ustart")],
            file.path(dir, paste0(model, "_partable.csv")), row.names = FALSE)
}
lrt <- function(model, less, more) {
  d <- lavTestLRT(less, more)
  add(model, "lrt_chisq_diff", d[["Chisq diff"]][2])
  add(model, "lrt_df_diff", d[["Df diff"]][2])
  add(model, "lrt_p", d[["Pr(>Chisq)"]][2])
}

for (case in c("kvb", "sim")) {
  if (case == "kvb") {
    d <- read.csv(file.path(dir, "kvb_autsat.csv")); it <- items
  } else {
    d <- read.csv(file.path(dir, "sim_ord.csv")); it <- paste0("y", 1:4)
  }
  c0 <- paste0(it, "_T0"); c1 <- paste0(it, "_T1")
  one <- cfa(paste("F =~", paste(c0, collapse = " + ")), data = d, ordered = c0,
             estimator = "WLSMV", std.lv = TRUE)
  record(paste0(case, "_onefactor_T0"), one)
  allw <- cfa(paste("F =~", paste(c(c0, c1), collapse = " + ")), data = d, ordered = c(c0, c1),
              estimator = "WLSMV", std.lv = TRUE)
  record(paste0(case, "_onefactor_all"), allw)  # one factor for both waves: misfits
  conf_model <- paste0("F_T0 =~ ", paste(c0, collapse = " + "), "\n",
                       "F_T1 =~ ", paste(c1, collapse = " + "), "\n")
  long_ind <- setNames(lapply(seq_along(it), function(i) c(c0[i], c1[i])), it)
  steps <- list(configural = character(0), thresholds = "thresholds",
                metric = c("thresholds", "loadings"),
                scalar = c("thresholds", "loadings", "intercepts"))
  fits <- list()
  fit_step <- function(eq, param) {
    syn <- measEq.syntax(configural.model = conf_model, data = d, ordered = c(c0, c1),
                         parameterization = param, ID.fac = "std.lv",
                         ID.cat = "Wu.Estabrook.2016", longFacNames = list(F = c("F_T0", "F_T1")),
                         longIndNames = long_ind, auto = 1, long.equal = eq)
    list(syntax = as.character(syn),
         fit = lavaan(as.character(syn), data = d, ordered = c(c0, c1), estimator = "WLSMV",
                      parameterization = param))
  }
  for (s in names(steps)) {
    r <- fit_step(steps[[s]], "delta")
    fits[[s]] <- r$fit
    writeLines(r$syntax, file.path(dir, paste0(case, "_", s, ".lav")))
    record(paste0(case, "_", s), r$fit)
  }
  for (s in c("scalar", "strict")) {
    eq <- if (s == "scalar") steps$scalar else c(steps$scalar, "residuals")
    r <- fit_step(eq, "theta")
    fits[[paste0(s, "_theta")]] <- r$fit
    writeLines(r$syntax, file.path(dir, paste0(case, "_", s, "_theta.lav")))
    record(paste0(case, "_", s, "_theta"), r$fit)
  }
  ss <- lavInspect(fits$configural, "sampstat")
  for (k in seq_along(ss$th)) add(paste0(case, "_configural"), "th", ss$th[k], names(ss$th)[k])
  R <- ss$cov
  for (j in 1:(ncol(R) - 1)) for (i in (j + 1):ncol(R))
    add(paste0(case, "_configural"), "polychoric", R[i, j], rownames(R)[i], "~~", colnames(R)[j])
  write.csv(lavInspect(fits$configural, "gamma"), file.path(dir, paste0("gamma_", case, ".csv")),
            row.names = FALSE)
  lrt(paste0(case, "_thresholds"), fits$configural, fits$thresholds)
  lrt(paste0(case, "_metric"), fits$thresholds, fits$metric)
  lrt(paste0(case, "_scalar"), fits$metric, fits$scalar)
  lrt(paste0(case, "_strict_theta"), fits$scalar_theta, fits$strict_theta)
}
# ---- pairwise missing (missing = "pairwise") ----------------------------------------
# kvb_T0_missing.csv: the example study's T0 answers to BPN01..BPN04 of all 93 teachers,
#   missing answers kept (NA), categories as answered (2..5 at T0).
# sim_missing.csv: sim_ord.csv's T0 items with 10% of the answers deleted at random
#   (set.seed(1985), independently per cell).
# Models pw_kvb_onefactor, pw_sim_onefactor: F =~ the 4 items, ordered, WLSMV,
#   std.lv = TRUE, missing = "pairwise"; thresholds (th), polychorics and
#   gamma_pw_<case>.csv as above.
t0m <- kvb[kvb$wave == "T0", c("teacher", items)]
write.csv(t0m, file.path(dir, "kvb_T0_missing.csv"), row.names = FALSE)
set.seed(1985)
simm <- read.csv(file.path(dir, "sim_ord.csv"))[, c("id", paste0("y", 1:4, "_T0"))]
for (v in paste0("y", 1:4, "_T0")) simm[[v]][runif(nrow(simm)) < .10] <- NA
write.csv(simm, file.path(dir, "sim_missing.csv"), row.names = FALSE)
for (case in c("kvb", "sim")) {
  d <- read.csv(file.path(dir, if (case == "kvb") "kvb_T0_missing.csv" else "sim_missing.csv"))
  ov <- names(d)[-1]
  fit <- cfa(paste("F =~", paste(ov, collapse = " + ")), data = d, ordered = ov,
             estimator = "WLSMV", std.lv = TRUE, missing = "pairwise")
  model <- paste0("pw_", case, "_onefactor")
  record(model, fit)
  ss <- lavInspect(fit, "sampstat")
  for (k in seq_along(ss$th)) add(model, "th", ss$th[k], names(ss$th)[k])
  R <- ss$cov
  for (j in 1:(ncol(R) - 1)) for (i in (j + 1):ncol(R))
    add(model, "polychoric", R[i, j], rownames(R)[i], "~~", colnames(R)[j])
  write.csv(lavInspect(fit, "gamma"), file.path(dir, paste0("gamma_pw_", case, ".csv")),
            row.names = FALSE)
}
write.csv(do.call(rbind, out), file.path(dir, "reference.csv"), row.names = FALSE)
writeLines(capture.output(sessionInfo()), file.path(dir, "sessionInfo.txt"))
