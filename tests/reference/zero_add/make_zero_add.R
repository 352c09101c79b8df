# Reference values for lavaan's zero.add on 2 x 2 tables (two binary items): lavaan adds
# zero.add[1] = 0.5 to the one empty cell of a 2 x 2 table before the polychoric
# (tetrachoric) ML, keeping the margins (zero.keep.margins = TRUE: the cell on the same
# diagonal gains 0.5, the other two lose 0.5); lav_bvord_cor_twostep_fit, called by
# lav_samplestats_step2 from muthen1984 with lavOptions() defaults zero.add = c(0.5, 0),
# zero.keep.margins = TRUE (mimic = "lavaan"), for every estimator.
#
# Run from the repository root:  Rscript tests/reference/zero_add/make_zero_add.R
# (R 4.2.2, lavaan 0.6-14; see sessionInfo.txt)
#
# Output
# - reference.csv (case, statistic, lhs, op, rhs, value; "%.17g"):
#   tables t_<name>: two binary items y1 (rows) and y2 (columns) with the counts of the
#   2 x 2 table below, fitted by lavCor(d, ordered = TRUE, se = "robust.sem",
#   output = "fit") (estimator WLSMV, two-step polychoric): th (y1|t1, y2|t1),
#   polychoric (y2, y1) from lavInspect(fit, "sampstat"), gamma (diagonal of
#   lavInspect(fit, "gamma"), in lavaan's order y1|t1, y2|t1, y2~~y1).
#   binary: the one-factor WLSMV model "F =~ a + b + c + d" (std.lv = FALSE, lavaan's
#   default) on binary4.csv (simulated here, set.seed(7), N = 300; item b set to 0
#   where a is 0, so the (a = 0, b = 1) cell is empty): th, polychoric (all pairs),
#   est and se of every parameterEstimates row, chisq, chisq.scaled; gamma_binary.csv the
#   full lavInspect(fit, "gamma"); binary_partable.csv parTable(fit) (lhs op rhs free
#   label plabel ustart), so that our engine is checked on exactly lavaan's model.
# - binary4.csv: the data of the model.
# Cases
#   one_offdiag   [[40, 0], [25, 35]]   empty (1, 2): the off-diagonal
#   one_offdiag2  [[40, 25], [0, 35]]   empty (2, 1)
#   one_diag      [[0, 30], [20, 50]]   empty (1, 1): the diagonal
#   one_diag2     [[40, 25], [5, 0]]    empty (2, 2)
#   none          [[40, 5], [25, 35]]   no empty cell: nothing added
#   two_diag      [[40, 0], [0, 60]]    two empty cells: lavaan returns rho = 1 exactly
#                                       (warning "two empty cells in 2x2 table")
suppressMessages(library(lavaan))
dir <- "tests/reference/zero_add"
out <- list()
add <- function(case, statistic, value, lhs = "", rhs = "", op = "") {
  out[[length(out) + 1L]] <<- data.frame(case = case, statistic = statistic, lhs = lhs,
                                         op = op, rhs = rhs, value = sprintf("%.17g", value))
}
from_table <- function(tab) {
  cells <- expand.grid(y1 = 1:2, y2 = 1:2)
  n <- tab[cbind(cells$y1, cells$y2)]
  data.frame(y1 = rep(cells$y1, n), y2 = rep(cells$y2, n))
}
tables <- list(one_offdiag = rbind(c(40, 0), c(25, 35)),
               one_offdiag2 = rbind(c(40, 25), c(0, 35)),
               one_diag = rbind(c(0, 30), c(20, 50)),
               one_diag2 = rbind(c(40, 25), c(5, 0)),
               none = rbind(c(40, 5), c(25, 35)),
               two_diag = rbind(c(40, 0), c(0, 60)))
for (name in names(tables)) {
  tab <- tables[[name]]
  case <- paste0("t_", name)
  for (a in 1:2) for (b in 1:2) add(case, "count", tab[a, b], paste0("y1=", a), paste0("y2=", b))
  fit <- suppressWarnings(lavCor(from_table(tab), ordered = c("y1", "y2"),
                                 se = "robust.sem", output = "fit"))
  ss <- lavInspect(fit, "sampstat")
  for (k in names(ss$th)) add(case, "th", ss$th[[k]], k)
  add(case, "polychoric", ss$cov["y2", "y1"], "y2", "y1")
  g <- lavInspect(fit, "gamma")
  for (k in seq_len(nrow(g))) add(case, "gamma", g[k, k], rownames(g)[k], colnames(g)[k])
}

# ---- a WLSMV model with binary items and one empty cell ------------------------------
set.seed(7)
n <- 300
eta <- rnorm(n)
ys <- sapply(c(.8, .7, .6, .7), function(l) l * eta + sqrt(1 - l^2) * rnorm(n))
x <- (ys > matrix(c(-0.3, 0.2, 0.0, 0.5), n, 4, byrow = TRUE)) * 1L
colnames(x) <- c("a", "b", "c", "d")
x[, "b"] <- ifelse(x[, "a"] == 0, 0L, x[, "b"])
write.csv(x, file.path(dir, "binary4.csv"), row.names = FALSE)
d <- read.csv(file.path(dir, "binary4.csv"))
fit <- cfa("F =~ a + b + c + d", data = d, ordered = TRUE, estimator = "WLSMV")
stopifnot(nrow(lavInspect(fit, "zero.cell.tables")) == 1L)
ss <- lavInspect(fit, "sampstat")
for (k in names(ss$th)) add("binary", "th", ss$th[[k]], k)
v <- colnames(d)
for (j in 1:3) for (i in (j + 1):4) add("binary", "polychoric", ss$cov[v[i], v[j]], v[i], v[j])
pe <- parameterEstimates(fit)
for (k in seq_len(nrow(pe))) {
  add("binary", "est", pe$est[k], pe$lhs[k], pe$rhs[k], pe$op[k])
  add("binary", "se", pe$se[k], pe$lhs[k], pe$rhs[k], pe$op[k])
}
fm <- fitMeasures(fit, c("chisq", "df", "chisq.scaled"))
for (k in names(fm)) add("binary", k, fm[[k]])
pt <- parTable(fit)
write.csv(pt[, c("lhs", "op", "rhs", "free", "label", "plabel", "ustart")],
          file.path(dir, "binary_partable.csv"), row.names = FALSE)
g <- lavInspect(fit, "gamma")
write.csv(format(as.data.frame(unclass(g)), digits = 17), file.path(dir, "gamma_binary.csv"),
          row.names = FALSE, quote = FALSE)
write.csv(do.call(rbind, out), file.path(dir, "reference.csv"), row.names = FALSE)
writeLines(capture.output(sessionInfo()), file.path(dir, "sessionInfo.txt"))
