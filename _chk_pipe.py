import time, json
from psychometrics.pipeline import validate
from psychometrics.example_study import example_data_path
t=time.time()
res=validate(example_data_path(), 'kvb', id_column='teacher', wave_column='wave', estimator='WLSMV')
print('time', time.time()-t)
d=res.to_dict()
for s,v in d['scales'].items():
    inv=v.get('invariance',{})
    print(s, {w:(c['status'], c.get('chi2_scaled'), c.get('cfi_scaled')) for w,c in v['cfa'].items()}, inv.get('status'), inv.get('level'), (inv.get('reason') or '')[:100])
print({w:(c['status'],c.get('chi2_scaled'),c['reason'][:80]) for w,c in d['instrument_cfa'].items()})
json.dumps(d)
