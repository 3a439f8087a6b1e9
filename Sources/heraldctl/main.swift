// ArgumentParser's own `main` would exit 64 on usage errors; HeraldCtl.main maps them to 2.
HeraldCtl.main()
