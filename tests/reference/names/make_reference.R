# Refit binnenuit's exported lavaan models whose scale names equal item names
# (scale 'agree' holds item 'agree'; scale 'B1' is named like item B1 of scale 'calm').
# Factors are written with a leading dot (.agree), which no item id can start with.
# Run from this folder: Rscript make_reference.R  (writes reference.csv, sessionInfo.txt)
suppressMessages(library(lavaan))
d <- read.csv("clash.csv", stringsAsFactors = FALSE)
items <- setdiff(names(d), c("id", "wave"))
wide <- reshape(d, idvar = "id", timevar = "wave", direction = "wide", sep = "_")
names(wide) <- sub("^(.*)_(T[0-9])$", "\\1_\\2", names(wide))
fit_one <- function(file, data) {
  model <- paste(readLines(file), collapse = "\n")
  fit <- lavaan(model, data = data, meanstructure = TRUE, missing = "ml")
  fm <- fitMeasures(fit, c("chisq", "df", "logl", "cfi", "rmsea"))
  data.frame(model = sub("\\.lav$", "", file), chi2 = fm[["chisq"]], df = fm[["df"]],
             logl = fm[["logl"]], cfi = fm[["cfi"]], rmsea = fm[["rmsea"]], n = nobs(fit))
}
t1 <- d[d$wave == "T1", items]
t2 <- d[d$wave == "T2", items]
out <- rbind(
  fit_one("cfa_instrument_T1.lav", t1),
  fit_one("cfa_agree_T1.lav", t1),
  fit_one("cfa_B1_T2.lav", t2),
  fit_one("invariance_agree_strict.lav", wide),
  fit_one("invariance_calm_strict.lav", wide)
)
write.csv(format(out, digits = 15), "reference.csv", row.names = FALSE, quote = FALSE)
writeLines(capture.output(sessionInfo()), "sessionInfo.txt")
print(out)
