# Reference values for tests/test_change_reference.py.
# Run from the repository root:  Rscript tests/reference/change/make_reference.R
# Data: paired.csv, simulated (93 persons in 6 schools; pre ~ 3.5 + .6 T + e,
# post = pre + .25 + e'), written by the recipe in the test module.
# Formulas: t.test(paired = TRUE); wilcox.test(paired = TRUE) (normal approximation
# with continuity correction at n = 93); d_z = mean(D)/sd(D) with the noncentral-t CI;
# d_av = mean(D)/((sd(pre)+sd(post))/2) with the d_z CI rescaled by sd(D)/mean SD;
# RCI = D/(sqrt(2) sd(pre) sqrt(1 - r)) with r = .80 given; ICC(1) by one-way ANOVA
# with k0 = (N - sum n_j^2/N)/(J - 1); CR1 cluster-robust SE of mean(D).
d <- read.csv("tests/reference/change/paired.csv")
D <- d$post - d$pre; n <- length(D)
tt <- t.test(d$post, d$pre, paired = TRUE)
wt <- suppressWarnings(wilcox.test(d$post, d$pre, paired = TRUE))
ncp_ci <- function(t, df, level = .95) {
  a <- (1 - level) / 2
  lo <- uniroot(function(x) pt(t, df, x) - (1 - a), c(t - 20, t + 20), tol = 1e-12)$root
  hi <- uniroot(function(x) pt(t, df, x) - a, c(t - 20, t + 20), tol = 1e-12)$root
  c(lo, hi)
}
dz <- mean(D) / sd(D); ci <- ncp_ci(tt$statistic, n - 1) / sqrt(n)
sav <- (sd(d$pre) + sd(d$post)) / 2; dav <- mean(D) / sav
r <- 0.80
rci <- D / (sqrt(2) * sd(d$pre) * sqrt(1 - r))
icc1 <- function(v, g) {
  a <- anova(lm(v ~ factor(g))); msb <- a[1, 3]; msw <- a[2, 3]
  nj <- table(g); N <- sum(nj); J <- length(nj); k0 <- (N - sum(nj^2) / N) / (J - 1)
  c((msb - msw) / (msb + (k0 - 1) * msw), k0)
}
ic <- icc1(D, d$school)
res <- tapply(D - mean(D), d$school, sum); J <- length(res)
cr1 <- sqrt(J / (J - 1) * sum(res^2)) / n
out <- c(n = n, mean_diff = mean(D), ci_low = tt$conf.int[1], ci_high = tt$conf.int[2],
         t = unname(tt$statistic), df = unname(tt$parameter), p = tt$p.value,
         wilcoxon_v = unname(wt$statistic), wilcoxon_p = wt$p.value,
         d_z = dz, d_z_low = ci[1], d_z_high = ci[2], d_av = dav,
         d_av_low = ci[1] * sd(D) / sav, d_av_high = ci[2] * sd(D) / sav,
         rci_improved = mean(rci > qnorm(.975)), rci_unchanged = mean(abs(rci) <= qnorm(.975)),
         rci_deteriorated = mean(rci < -qnorm(.975)),
         icc1_diff = ic[1], k0 = ic[2], design_effect = 1 + (ic[2] - 1) * ic[1], cr1_se = cr1)
write.csv(data.frame(statistic = names(out), value = sprintf("%.17g", out)),
          "tests/reference/change/reference.csv", row.names = FALSE)
writeLines(capture.output(sessionInfo()), "tests/reference/change/sessionInfo.txt")
